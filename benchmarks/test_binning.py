"""Binning speed from n = 10^4 to 10^6 in 1+1 and 10+10 dimensions (time should grow about linearly in n),
with the estimate, the truth and the occupied cells beside the timing."""

from __future__ import annotations

import pytest

import mibench
from mibench.estimators.binning import Binning
from mibench.runner.memory import PeakMemory


@pytest.mark.parametrize(
    "params",
    [
        {"strategy": "equal-width", "bins": 10},
        {"strategy": "equal-mass", "bins": 10},
        {"strategy": "fixed-width", "width": 0.5},
    ],
    ids=lambda p: p["strategy"],
)
@pytest.mark.parametrize("dim", [1, 10])
@pytest.mark.parametrize("n", [10_000, 100_000, 1_000_000])
def test_binning_speed(benchmark, n, dim, params):
    task = mibench.get_task(f"gaussian-pairs-{dim}x{dim}-mi1")
    x, y = task.sample(n, seed=0)
    estimator = Binning(**params)
    with PeakMemory() as memory:
        estimate = benchmark.pedantic(
            estimator.estimate_with_info, args=(x, y), rounds=5 if n <= 100_000 else 2, iterations=1
        )
    benchmark.extra_info.update(
        estimate_nats=estimate.value,
        true_mi_nats=task.mi,
        n=n,
        dim_x=dim,
        dim_y=dim,
        n_cells_xy=estimate.info["n_cells_xy"],
        peak_memory_mb=memory.peak_mb,
    )


@pytest.mark.parametrize("n", [10_000, 100_000, 1_000_000])
def test_plug_in_discrete_speed(benchmark, n):
    task = mibench.get_task("discrete-categorical-m100-noise0.1")
    x, y = task.sample(n, seed=0)
    value = benchmark.pedantic(Binning(strategy="none").estimate, args=(x, y), rounds=3, iterations=1)
    benchmark.extra_info.update(estimate_nats=value, true_mi_nats=task.mi, n=n)
