"""KSG speed at the sizes the classical-estimators issue targets, with the estimate beside the timing."""

from __future__ import annotations

import pytest

import mibench
from mibench.runner.memory import PeakMemory


@pytest.mark.parametrize("dim", [1, 5])
@pytest.mark.parametrize("n", [10_000, 100_000])
def test_ksg_speed(benchmark, n, dim):
    task = mibench.get_task(f"gaussian-pairs-{dim}x{dim}-mi1")
    x, y = task.sample(n, seed=0)
    estimator = mibench.get_estimator("ksg", k=3)
    with PeakMemory() as memory:
        value = benchmark.pedantic(estimator.estimate, args=(x, y), rounds=3 if n <= 10_000 else 1, iterations=1)
    benchmark.extra_info.update(
        estimate_nats=value, true_mi_nats=task.mi, n=n, dim_x=dim, dim_y=dim, peak_memory_mb=memory.peak_mb
    )


def test_gaussian_baseline_speed(benchmark):
    task = mibench.get_task("gaussian-pairs-20x20-mi4")
    x, y = task.sample(100_000, seed=0)
    value = benchmark(mibench.get_estimator("gaussian").estimate, x, y)
    benchmark.extra_info.update(estimate_nats=value, true_mi_nats=task.mi)
