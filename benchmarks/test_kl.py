"""Kozachenko-Leonenko 3H and weighted-KL (BSY) speed, with the estimate and the truth beside each timing."""

from __future__ import annotations

import numpy as np
import pytest

import mibench
from mibench.estimators import kl as klmod
from mibench.estimators.kl import KLMutualInformation, WeightedKL, kl_entropy
from mibench.runner.memory import PeakMemory

ESTIMATORS = {
    "kl": lambda: KLMutualInformation(k=3),
    "kl-chebyshev": lambda: KLMutualInformation(k=3, metric="chebyshev"),
    "wkl": lambda: WeightedKL(k=5),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("dim", [1, 5])
@pytest.mark.parametrize("n", [10_000, 100_000])
def test_kl_speed(benchmark, n, dim, name):
    task = mibench.get_task(f"gaussian-pairs-{dim}x{dim}-mi1")
    x, y = task.sample(n, seed=0)
    estimator = ESTIMATORS[name]()
    with PeakMemory() as memory:
        result = benchmark.pedantic(
            estimator.estimate_with_info, args=(x, y), rounds=3 if n <= 10_000 else 1, iterations=1
        )
    benchmark.extra_info.update(
        estimator=repr(estimator),
        estimate_nats=result.value,
        true_mi_nats=task.mi,
        error_nats=result.value - task.mi,
        h_x=result.info["h_x"],
        h_y=result.info["h_y"],
        h_xy=result.info["h_xy"],
        n=n,
        dim_x=dim,
        dim_y=dim,
        peak_memory_mb=memory.peak_mb,
    )


@pytest.mark.parametrize("method", ["tree", "brute"])
def test_kl_entropy_search_at_twenty_dimensions(benchmark, method):
    """The tree / brute-force crossover the 'auto' search relies on (brute force from 20 dimensions)."""
    task = mibench.get_task("gaussian-pairs-10x10-mi2")
    x, y = task.sample(10_000, seed=0)
    xy = np.hstack([x, y])
    value = benchmark.pedantic(klmod._kl_entropy, args=(xy, 3, "euclidean", method), rounds=1, iterations=1)[0]
    benchmark.extra_info.update(method=method, entropy_nats=value, n=10_000, dim=20)
    assert value == pytest.approx(kl_entropy(xy, k=3), abs=1e-9)
