"""Peak memory of every built-in estimator at its defaults on a large sample, with the time and estimate beside it.

Each estimator runs once on ``gaussian-pairs-5x5-mi1`` (1 nat) at n = 100 000, the KDE family at n = 50 000 (its
cost is O(n^2 d) time, never O(n^2) memory). ``peak_memory_mb`` in ``extra_info`` is the extra peak resident
memory of the call (:class:`mibench.runner.memory.PeakMemory`: VmHWM reset through ``/proc/self/clear_refs``,
so numpy, BLAS and torch allocations all count; the sample itself is allocated before and does not). Beside it,
``n_by_n_mb`` is what one n x n float64 matrix would take: the assertion that the peak stays below 1 % of that
is the "no O(n^2) allocation" check at a size where such a matrix could not be missed (80 GB at n = 100 000).

An untimed call on a small sample comes first, so one-time costs (imports, torch's allocator pools, thread
pools) are not charged to the measured call.

Run and turn into the table in ``reports/estimator_memory.md``::

    .venv/bin/python -m pytest benchmarks/test_memory.py --benchmark-json /tmp/memory.json
    .venv/bin/python benchmarks/memory_table.py /tmp/memory.json
"""

from __future__ import annotations

import pytest

import mibench
from mibench.estimators.registry import BUILTIN_ESTIMATORS, get_estimator, get_estimator_class
from mibench.runner.memory import PeakMemory

TASK_ID = "gaussian-pairs-5x5-mi1"
N_DEFAULT = 100_000
#: Estimators whose cost is quadratic in n (pairwise kernel sums) run at this n, as issue 4 asks.
N_QUADRATIC = {"kde": 50_000, "kde-lower": 50_000, "kde-upper": 50_000}
#: The peak may use at most this fraction of one n x n float64 matrix.
MAX_FRACTION_OF_N_BY_N = 0.01


@pytest.mark.parametrize("name", sorted(BUILTIN_ESTIMATORS))
def test_peak_memory_at_large_n(benchmark, name):
    if get_estimator_class(name).tags.requires_torch:
        pytest.importorskip("torch")
    task = mibench.get_task(TASK_ID)
    n = N_QUADRATIC.get(name, N_DEFAULT)
    estimator = get_estimator(name)
    if "seed" in estimator.get_params():
        estimator = get_estimator(name, seed=0)  # stochastic estimators: a fixed seed, so the estimate repeats
    estimator.estimate(*task.sample(1_000, seed=1))  # warm-up: imports and pools are not the call's memory
    x, y = task.sample(n, seed=0)
    with PeakMemory() as memory:
        result = benchmark.pedantic(estimator.estimate_with_info, args=(x, y), rounds=1, iterations=1)
    n_by_n_mb = n * n * 8 / 2**20
    benchmark.extra_info.update(
        estimator=name,
        params=repr(estimator),
        task=TASK_ID,
        n=n,
        estimate_nats=result.value,
        true_mi_nats=task.mi,
        peak_memory_mb=memory.peak_mb,
        input_mb=(x.nbytes + y.nbytes) / 2**20,
        n_by_n_mb=n_by_n_mb,
    )
    if memory.peak_mb is not None:
        assert memory.peak_mb < MAX_FRACTION_OF_N_BY_N * n_by_n_mb, (name, memory.peak_mb)
