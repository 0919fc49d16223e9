"""Every catalogue task keeps the Task contract: unique ids that round-trip, valid truths, deterministic samplers
with the declared shapes and dtypes, and a cheap catalogue."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from mibench.synthetic import catalogue, get_task

TASKS = list(catalogue().values())


def test_catalogue_is_cheap_to_build():
    # Workers rebuild the catalogue on their first job: it must not run Monte Carlo or other heavy work.
    code = (
        "import time; t = time.perf_counter(); from mibench.synthetic import catalogue; catalogue(); "
        "print(time.perf_counter() - t)"
    )
    seconds = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert seconds < 3.0, f"building the catalogue took {seconds:.2f} s"


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_task_contract(task):
    assert get_task(task.id) is task
    assert np.isfinite(task.mi) and task.mi >= 0
    assert (task.mi_stderr > 0) == (task.truth == "monte carlo")
    x1, y1 = task.sample(64, seed=123)
    x2, y2 = task.sample(64, seed=123)
    x3, _ = task.sample(64, seed=124)
    assert x1.shape == (64, task.dim_x) and y1.shape == (64, task.dim_y)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    for part in (x1, y1):
        assert np.issubdtype(part.dtype, np.integer) or (part.dtype == np.float64 and np.all(np.isfinite(part)))
    if not task.discrete:
        assert x1.dtype == np.float64 or y1.dtype == np.float64
    # The sampler travels to worker processes.
    restored = pickle.loads(pickle.dumps(task.sampler))
    x4, _ = restored(64, np.random.default_rng(5))
    x5, _ = task.sampler(64, np.random.default_rng(5))
    assert np.array_equal(np.asarray(x4), np.asarray(x5))
