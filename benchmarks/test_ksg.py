"""KSG speed at the sizes the classical-estimators issue targets, with the estimate beside the timing.

``test_ksg_vs_knn_floor`` puts the whole estimator beside one k-NN query of the joint sample, measured in the
same run (the floor is timed in the untimed ``setup`` of each round, right before the estimator), because the
machine is shared and only ratios within one run mean anything. Two floors are recorded: the plain query a user
would write (``cKDTree(xy).query(xy, k=[k + 1], p=inf, workers=...)``, tree build included) and mibench's own
joint search (the same query issued in tree order), i.e. KSG's cost beyond its first step.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
from scipy.spatial import cKDTree

import mibench
from mibench.estimators import _neighbors
from mibench.estimators.ksg import KSG, KSG2
from mibench.runner.memory import PeakMemory


@pytest.mark.parametrize("dim", [1, 5])
@pytest.mark.parametrize("n", [10_000, 100_000])
def test_ksg_speed(benchmark, n, dim):
    task = mibench.get_task(f"gaussian-pairs-{dim}x{dim}-mi1")
    x, y = task.sample(n, seed=0)
    estimator = mibench.get_estimator("ksg", k=3)
    estimator.prepare()  # numba's import and compilation are once per process, not the call's
    with PeakMemory() as memory:
        value = benchmark.pedantic(estimator.estimate, args=(x, y), rounds=3 if n <= 10_000 else 1, iterations=1)
    benchmark.extra_info.update(
        estimate_nats=value, true_mi_nats=task.mi, n=n, dim_x=dim, dim_y=dim, peak_memory_mb=memory.peak_mb
    )


@pytest.mark.parametrize("dim", [1, 5, 20])
def test_ksg2_speed(benchmark, dim):
    task = mibench.get_task(f"gaussian-pairs-{dim}x{dim}-mi1")
    n = 100_000 if dim < 20 else 10_000
    x, y = task.sample(n, seed=0)
    KSG2(k=3).prepare()
    with PeakMemory() as memory:
        value = benchmark.pedantic(KSG2(k=3).estimate, args=(x, y), rounds=1, iterations=1)
    benchmark.extra_info.update(
        estimate_nats=value, true_mi_nats=task.mi, n=n, dim_x=dim, dim_y=dim, peak_memory_mb=memory.peak_mb
    )


def test_ksg_vs_knn_floor(benchmark):
    """n = 100 000, 5+5 dimensions, k = 3: KSG / (one joint k-NN query), medians of 3 interleaved rounds."""
    k = 3
    x, y = mibench.get_task("gaussian-pairs-5x5-mi1").sample(100_000, seed=0)
    xy = np.hstack([x, y])
    floors: dict[str, list[float]] = {"plain_knn": [], "tree_order_knn": []}
    floors_cpu: dict[str, list[float]] = {"plain_knn": [], "tree_order_knn": []}
    ours_cpu: list[float] = []

    def plain_knn() -> None:
        cKDTree(xy).query(xy, k=[k + 1], p=np.inf, workers=_neighbors.query_workers())

    def tree_order_knn() -> None:
        _neighbors.kth_neighbour_distance_tree(xy, k)

    def time_floors() -> None:
        for name, function in (("plain_knn", plain_knn), ("tree_order_knn", tree_order_knn)):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            function()
            floors[name].append(time.perf_counter() - wall0)
            floors_cpu[name].append(time.process_time() - cpu0)

    def estimate() -> float:
        cpu0 = time.process_time()
        value = KSG(k=k).estimate(x, y)
        ours_cpu.append(time.process_time() - cpu0)
        return value

    KSG(k=k).prepare()
    with PeakMemory() as memory:
        value = benchmark.pedantic(estimate, setup=time_floors, rounds=3, iterations=1)
    wall = benchmark.stats.stats.median
    cpu = statistics.median(ours_cpu)
    info = {"estimate_nats": value, "n": 100_000, "dim_x": 5, "dim_y": 5, "k": k, "peak_memory_mb": memory.peak_mb}
    info["ksg_wall_s"] = wall
    info["ksg_cpu_s"] = cpu
    for name in floors:
        info[f"{name}_wall_s"] = statistics.median(floors[name])
        info[f"{name}_cpu_s"] = statistics.median(floors_cpu[name])
        info[f"ksg_over_{name}_wall"] = wall / info[f"{name}_wall_s"]
        info[f"ksg_over_{name}_cpu"] = cpu / info[f"{name}_cpu_s"]
    benchmark.extra_info.update(info)


@pytest.mark.parametrize("dim", [2, 5, 9])
def test_marginal_counts_compiled_vs_sklearn(benchmark, dim):
    """The marginal-count step alone, n = 100 000: mibench's compiled dual-tree count against scikit-learn's
    ``KDTree.query_radius(count_only=True)`` (both in tree order, both on the same threads), with the radii KSG
    uses (the joint k-th neighbour distances of a dim+dim Gaussian sample, k = 3). Medians of 3 interleaved
    rounds; the counts are checked equal."""
    x, y = mibench.get_task(f"gaussian-pairs-{dim}x{dim}-mi1").sample(100_000, seed=0)
    eps = _neighbors.kth_neighbour_distance_tree(np.hstack([x, y]), 3)
    sklearn_wall: list[float] = []
    sklearn_counts: list[np.ndarray] = []

    def time_sklearn() -> None:
        start = time.perf_counter()
        sklearn_counts.append(_neighbors.count_within_tree(x, eps, engine="sklearn"))
        sklearn_wall.append(time.perf_counter() - start)

    _neighbors.prepare_compiled_counts()  # compile (or load from the cache) outside the timing
    counts = benchmark.pedantic(
        _neighbors.count_within_tree, args=(x, eps), kwargs={"engine": "compiled"}, setup=time_sklearn, rounds=3
    )
    np.testing.assert_array_equal(counts, sklearn_counts[-1])
    compiled = benchmark.stats.stats.median
    benchmark.extra_info.update(
        n=100_000,
        dim=dim,
        median_count=float(np.median(counts)),
        compiled_wall_s=compiled,
        sklearn_wall_s=statistics.median(sklearn_wall),
        sklearn_over_compiled_wall=statistics.median(sklearn_wall) / compiled,
    )


def test_gaussian_baseline_speed(benchmark):
    task = mibench.get_task("gaussian-pairs-20x20-mi4")
    x, y = task.sample(100_000, seed=0)
    value = benchmark(mibench.get_estimator("gaussian").estimate, x, y)
    benchmark.extra_info.update(estimate_nats=value, true_mi_nats=task.mi)
