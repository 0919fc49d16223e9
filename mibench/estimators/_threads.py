"""Threads for mibench's own parallel loops (neighbour searches, compiled counts, blocked kernel sums).

The runner caps each worker process's threads through ``MIBENCH_WORKER_THREADS`` (set by
:func:`mibench.runner.worker.limit_threads`, so that parallel jobs do not oversubscribe the cores); outside the
runner every usable core is used (:func:`mibench.resources.available_cores`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mibench.resources import available_cores

__all__ = ["query_workers", "run_parallel", "thread_count"]


def query_workers() -> int:
    """Threads for scipy's ``cKDTree`` queries (its ``workers`` argument): the runner's per-worker cap
    (``MIBENCH_WORKER_THREADS``), else -1 (scipy's "all cores")."""
    try:
        return max(1, int(os.environ["MIBENCH_WORKER_THREADS"]))
    except (KeyError, ValueError):
        return -1


def thread_count() -> int:
    """How many threads mibench's own thread pools use: :func:`query_workers`, with -1 meaning the usable cores
    (:func:`mibench.resources.available_cores`)."""
    workers = query_workers()
    return workers if workers > 0 else available_cores()


def run_parallel(tasks: list[Callable[[], Any]], threads: int) -> list[Any]:
    """Run callables that release the GIL on up to ``threads`` threads; results in order."""
    threads = min(threads, len(tasks))
    if threads <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda task: task(), tasks))
