"""What this process may use of the machine: :func:`mibench.resources.available_cores`, the one place that
counts usable cores, and the thread count of mibench's own pools built on it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mibench.estimators import _threads
from mibench.resources import available_cores


def test_at_least_one_core_and_no_more_than_the_machine_has() -> None:
    cores = available_cores()
    assert isinstance(cores, int) and cores >= 1
    assert cores <= (os.cpu_count() or cores)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_respects_a_restricted_cpu_affinity() -> None:
    """In a subprocess pinned to one CPU (the first this process may use), available_cores() is 1, and so is the
    thread count of mibench's pools without the runner's cap."""
    first = min(os.sched_getaffinity(0))
    code = (
        "import os\n"
        f"os.sched_setaffinity(0, {{{first}}})\n"
        "os.environ.pop('MIBENCH_WORKER_THREADS', None)\n"
        "from mibench.resources import available_cores\n"
        "from mibench.estimators._threads import thread_count\n"
        "print(available_cores(), thread_count())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["1", "1"]


def test_affinity_is_what_counts_when_it_is_visible() -> None:
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("CPU affinity is Linux-only")
    assert available_cores() == len(os.sched_getaffinity(0))


def test_thread_count_is_the_runner_cap_else_the_available_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIBENCH_WORKER_THREADS", raising=False)
    assert _threads.thread_count() == available_cores()
    assert _threads.query_workers() == -1  # scipy's "all cores"
    monkeypatch.setenv("MIBENCH_WORKER_THREADS", "3")
    assert _threads.thread_count() == 3 == _threads.query_workers()
    monkeypatch.setenv("MIBENCH_WORKER_THREADS", "not a number")
    assert _threads.thread_count() == available_cores()


def test_run_parallel_keeps_the_order() -> None:
    tasks = [lambda i=i: i * i for i in range(10)]
    assert _threads.run_parallel(tasks, 1) == [i * i for i in range(10)]
    assert _threads.run_parallel(tasks, 4) == [i * i for i in range(10)]
    assert _threads.run_parallel([], 4) == []
