"""Kozachenko-Leonenko 3H and weighted-KL (BSY) speed, with the estimate and the truth beside each timing."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

import mibench
from mibench.estimators import kl as klmod
from mibench.estimators.kl import KLMutualInformation, WeightedKL, kl_entropy, knn_distances
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


def _cdist_kth_distances(points: np.ndarray, k: int, block_rows: int) -> np.ndarray:
    """The plain blocked ``cdist`` search the matrix-product screen replaced (the comparison's baseline)."""
    from scipy.spatial.distance import cdist

    out = np.empty(points.shape[0])
    for start in range(0, points.shape[0], block_rows):
        block = cdist(points[start : start + block_rows], points)
        out[start : start + block_rows] = np.sort(np.partition(block, k, axis=1)[:, : k + 1], axis=1)[:, k]
    return out


def test_euclidean_brute_force_screen_vs_cdist(benchmark):
    """n = 10 000 in 200 dimensions, k = 3: the screened search (timed) against plain ``cdist`` blocks (in the
    untimed setup of each round); ``cdist_over_screen`` in ``extra_info`` is the ratio of medians, one run."""
    x = np.random.default_rng(0).standard_normal((10_000, 200))
    block_rows = max(1, klmod._BRUTE_FORCE_BLOCK_BYTES // (8 * x.shape[0]))
    baseline: list[float] = []
    reference: list[np.ndarray] = []

    def time_cdist() -> None:
        started = time.perf_counter()
        reference.append(_cdist_kth_distances(x, 3, block_rows))
        baseline.append(time.perf_counter() - started)

    dist = benchmark.pedantic(
        lambda: knn_distances(x, [3], "euclidean", "brute")[0][:, 0], setup=time_cdist, rounds=3, iterations=1
    )
    np.testing.assert_allclose(dist, reference[-1], rtol=1e-13)
    screen = benchmark.stats.stats.median
    benchmark.extra_info.update(
        n=10_000,
        dim=200,
        screen_s=screen,
        cdist_s=statistics.median(baseline),
        cdist_over_screen=statistics.median(baseline) / screen,
    )
