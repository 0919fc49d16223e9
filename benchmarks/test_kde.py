"""KDE plug-in and Kolchinsky-Tracey bounds: speed and peak memory, with the estimate beside the timing.

Targets (the classical-estimators brief): the bounds under 5 s at n = 10 000, d = 10 on 2 cores; both run at
n = 50 000 without an n x n allocation (an n x n float64 matrix would be 20 GB there; ``peak_memory_mb`` in
``extra_info`` shows the O(n * block) working set instead).

Timings on shared cores are noisy, so the ratio benchmarks time their alternatives back to back in one test,
repeatedly and interleaved, and report the ratio of the medians in ``extra_info``.

Run: ``.venv/bin/python -m pytest benchmarks/test_kde.py`` (add ``--benchmark-json out.json``).
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np
import pytest

import mibench
from mibench.estimators import kde as kde_module
from mibench.estimators.kde import KDE, KolchinskyTracey
from mibench.runner.memory import PeakMemory


def layer_sample(n: int, d: int, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A tanh layer of width d over n inputs whose labels shift the pre-activations (so I(T;Y) > 0)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=n)
    centres = rng.standard_normal((classes, d))
    return np.tanh(centres[labels] + rng.standard_normal((n, d))), labels


@pytest.mark.parametrize("n", [10_000, 50_000])
def test_kde_speed(benchmark, n):
    task = mibench.get_task("gaussian-pairs-1x1-mi1")
    x, y = task.sample(n, seed=0)
    estimator = KDE()
    with PeakMemory() as memory:
        value = benchmark.pedantic(estimator.estimate, args=(x, y), rounds=3 if n <= 10_000 else 1, iterations=1)
    benchmark.extra_info.update(
        estimate_nats=value, true_mi_nats=task.mi, n=n, dim_x=1, dim_y=1, peak_memory_mb=memory.peak_mb
    )


@pytest.mark.parametrize("target", ["input", "labels"])
@pytest.mark.parametrize("n", [10_000, 50_000])
def test_kolchinsky_tracey_speed(benchmark, n, target):
    d = 10
    layer, labels = layer_sample(n, d)
    estimator = KolchinskyTracey(noise_variance=0.1, target=target)
    args = (labels, layer) if target == "input" else (layer, labels)
    with PeakMemory() as memory:
        estimate = benchmark.pedantic(
            estimator.estimate_with_info, args=args, rounds=3 if n <= 10_000 else 1, iterations=1
        )
    benchmark.extra_info.update(
        upper_nats=estimate.info["upper"],
        lower_nats=estimate.info["lower"],
        log_n=math.log(n),
        n=n,
        dim=d,
        target=target,
        peak_memory_mb=memory.peak_mb,
        n_by_n_matrix_mb=8 * n * n / 2**20,
    )


def _seconds(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _interleaved_ratio(first, second, repeats: int = 5) -> dict[str, float]:
    """Median seconds of two callables timed alternately (so load changes hit both), and their ratio."""
    a, b = [], []
    for _ in range(repeats):
        a += _seconds(first, 1)
        b += _seconds(second, 1)
    med_a, med_b = statistics.median(a), statistics.median(b)
    return {"first_s": med_a, "second_s": med_b, "ratio_first_over_second": med_a / med_b}


def test_ratio_threads(benchmark):
    """One thread vs two (the default on 2 cores) for the bounds at n = 10 000, d = 10."""
    layer, _ = layer_sample(10_000, 10)
    result = benchmark.pedantic(
        _interleaved_ratio,
        args=(
            lambda: kde_module.pairwise_mixture_terms(layer, 0.1, threads=1),
            lambda: kde_module.pairwise_mixture_terms(layer, 0.1, threads=2),
        ),
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(result, first="threads=1", second="threads=2")


def test_ratio_block_size(benchmark, monkeypatch):
    """Cache-sized blocks (2 MiB per buffer, the default) vs 32 MiB blocks, bounds at n = 10 000, d = 10."""
    layer, _ = layer_sample(10_000, 10)

    def with_block_bytes(size: int):
        def run():
            monkeypatch.setattr(kde_module, "BLOCK_BYTES", size)
            kde_module.pairwise_mixture_terms(layer, 0.1, threads=1)

        return run

    result = benchmark.pedantic(
        _interleaved_ratio, args=(with_block_bytes(32 * 2**20), with_block_bytes(2 * 2**20)), rounds=1, iterations=1
    )
    benchmark.extra_info.update(result, first="32 MiB blocks", second="2 MiB blocks")


def test_ratio_n_squared(benchmark):
    """Time at n = 20 000 over time at n = 10 000 for the bounds (d = 10): 4 for O(n^2) work."""
    small, _ = layer_sample(10_000, 10)
    large, _ = layer_sample(20_000, 10)
    result = benchmark.pedantic(
        _interleaved_ratio,
        args=(
            lambda: kde_module.pairwise_mixture_terms(large, 0.1),
            lambda: kde_module.pairwise_mixture_terms(small, 0.1),
        ),
        kwargs={"repeats": 3},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(result, first="n=20000", second="n=10000")


def test_ratio_kde_vs_bounds(benchmark):
    """The KDE plug-in (1 + 1 dimensions, three leave-one-out terms) vs the bounds (d = 10), both n = 10 000."""
    x, y = mibench.get_task("gaussian-pairs-1x1-mi1").sample(10_000, seed=0)
    layer, labels = layer_sample(10_000, 10)
    result = benchmark.pedantic(
        _interleaved_ratio,
        args=(lambda: KDE().estimate(x, y), lambda: KolchinskyTracey(noise_variance=0.1).estimate(labels, layer)),
        kwargs={"repeats": 3},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update(result, first="KDE 1+1", second="KolchinskyTracey d=10")
