"""The compiled dual-tree max-norm counts against brute-force counting (the independent route), on the inputs
where tree pruning goes wrong: exact distance ties, repeated points, radii of zero, one-point leaves and groups,
very different magnitudes; and the fallback to scikit-learn when numba is missing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.spatial.distance import cdist

from mibench.estimators import _maxnorm_counts, _neighbors


def brute_counts(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``#{j != i : max_c |p_jc - p_ic| <= r_i}`` from the full distance matrix."""
    return (cdist(points, points, metric="chebyshev") <= radius[:, None]).sum(axis=1) - 1


def tree_of(points: np.ndarray) -> tuple[np.ndarray, ...]:
    return _maxnorm_counts._build(np.ascontiguousarray(points), _maxnorm_counts.LEAF_SIZE)


@pytest.mark.parametrize("dim", [1, 2, 5, 11])
@pytest.mark.parametrize("threads", [1, 3])
def test_counts_match_brute_force_on_continuous_data(dim: int, threads: int) -> None:
    rng = np.random.default_rng(dim)
    points = rng.standard_normal((1500, dim)) * rng.uniform(0.1, 10.0, size=dim)
    # radii from tiny (few neighbours: most leaves pruned) to larger than the data (whole nodes counted)
    radius = np.abs(points[:, 0]) * 10.0 ** rng.uniform(-3, 1.5, size=1500)
    counts = _maxnorm_counts.count_within_radius(points, radius, threads=threads)
    np.testing.assert_array_equal(counts, brute_counts(points, radius))
    assert counts.dtype == np.int64


def test_counts_are_exact_at_points_on_the_radius() -> None:
    """Radii equal to actual neighbour distances, and their neighbouring doubles: the predicate is ``<=`` on the
    same ``abs(p - q)`` in float64 everywhere, so no point on the boundary may be lost or gained."""
    rng = np.random.default_rng(1)
    points = rng.standard_normal((800, 3)) * 10.0 ** rng.uniform(-6, 6, size=(800, 1))
    dist = cdist(points, points, metric="chebyshev")
    on_boundary = np.sort(dist, axis=1)[:, 5]
    for radius in (on_boundary, np.nextafter(on_boundary, 0.0), np.nextafter(on_boundary, np.inf)):
        np.testing.assert_array_equal(_maxnorm_counts.count_within_radius(points, radius), brute_counts(points, radius))


def test_counts_with_heavy_ties_and_repeated_points() -> None:
    """Discrete data: runs of equal coordinates (the quickselect's three-way partition) and repeated points."""
    rng = np.random.default_rng(2)
    points = rng.integers(0, 3, size=(2500, 4)).astype(float)
    radius = rng.integers(0, 3, size=2500).astype(float)  # zero radius counts the exact copies of a point
    np.testing.assert_array_equal(_maxnorm_counts.count_within_radius(points, radius, 2), brute_counts(points, radius))
    same = np.ones((300, 2))
    np.testing.assert_array_equal(_maxnorm_counts.count_within_radius(same, np.zeros(300)), np.full(300, 299))


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 64, 65, 200])
def test_small_samples_single_leaves_and_group_edges(n: int) -> None:
    rng = np.random.default_rng(n)
    points = rng.standard_normal((n, 3))
    radius = rng.uniform(0, 2, size=n)
    np.testing.assert_array_equal(_maxnorm_counts.count_within_radius(points, radius, 2), brute_counts(points, radius))


def test_tree_is_a_partition_with_exact_boxes() -> None:
    """Every node's box is the exact extent of its points, children split their parent's range, leaves hold at
    most LEAF_SIZE points, and the group nodes partition the sample into runs of at most GROUP_SIZE."""
    rng = np.random.default_rng(3)
    points = rng.standard_normal((3001, 4))
    order, start, stop, left, right, lo, hi = tree_of(points)
    np.testing.assert_array_equal(np.sort(order), np.arange(3001))
    for node in range(start.shape[0]):
        inside = points[order[start[node] : stop[node]]]
        np.testing.assert_array_equal(lo[node], inside.min(axis=0))
        np.testing.assert_array_equal(hi[node], inside.max(axis=0))
        if left[node] < 0:
            assert stop[node] - start[node] <= _maxnorm_counts.LEAF_SIZE
        else:
            assert (start[left[node]], stop[left[node]]) == (start[node], start[right[node]])
            assert stop[right[node]] == stop[node]
    groups = _maxnorm_counts._group_nodes(start, stop, left, right)
    sizes = stop[groups] - start[groups]
    assert sizes.max() <= _maxnorm_counts.GROUP_SIZE and sizes.sum() == 3001
    np.testing.assert_array_equal(start[groups][1:], stop[groups][:-1])


@st.composite
def points_and_radii(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Up to 150 points in 1-6 dimensions from a small pool of values (so coordinates, distances and radii tie
    often), mixed magnitudes, and radii that are often exactly a pairwise distance."""
    n = draw(st.integers(1, 150))
    d = draw(st.integers(1, 6))
    pool = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=1, max_size=12))
    points = draw(hnp.arrays(np.float64, (n, d), elements=st.sampled_from(pool)))
    distances = cdist(points, points, metric="chebyshev").ravel()
    radius = draw(hnp.arrays(np.float64, n, elements=st.sampled_from(sorted(set(distances.tolist()) | {0.0, 1.0}))))
    return points, radius


@settings(max_examples=150, deadline=None, database=None)
@given(points_and_radii(), st.integers(1, 3))
def test_counts_match_brute_force_on_arbitrary_samples(sample: tuple[np.ndarray, np.ndarray], threads: int) -> None:
    points, radius = sample
    np.testing.assert_array_equal(
        _maxnorm_counts.count_within_radius(points, radius, threads), brute_counts(points, radius)
    )


def test_negative_radius_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        _maxnorm_counts.count_within_radius(np.zeros((3, 2)), np.array([1.0, -1.0, 0.0]))


def test_engines_agree_and_unknown_engine_is_rejected() -> None:
    rng = np.random.default_rng(4)
    points = np.round(rng.standard_normal((1200, 3)), 1)
    eps = rng.choice([0.1, 0.2, 0.30000000000000004, 0.05], size=1200)
    for strict in (True, False):
        compiled = _neighbors.count_within_tree(points, eps, strict=strict, engine="compiled")
        fallback = _neighbors.count_within_tree(points, eps, strict=strict, engine="sklearn")
        np.testing.assert_array_equal(compiled, fallback)
        dist = cdist(points, points, metric="chebyshev")
        expected = ((dist < eps[:, None]) if strict else (dist <= eps[:, None])).sum(axis=1) - 1
        np.testing.assert_array_equal(compiled, expected)
    with pytest.raises(ValueError, match="unknown count engine"):
        _neighbors.count_within_tree(points, eps, engine="gpu")


# numba, already imported by earlier tests, may load its extension entry points meanwhile, and they cannot import
# numba while this test hides it
@pytest.mark.filterwarnings("ignore:Numba extension module:UserWarning")
def test_missing_numba_warns_once_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import sys

    real_import = builtins.__import__

    def no_compiled_counts(name: str, *args: object, **kwargs: object) -> object:
        if name == "mibench.estimators._maxnorm_counts" or name == "numba":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    import mibench.estimators

    monkeypatch.delitem(sys.modules, "mibench.estimators._maxnorm_counts")
    monkeypatch.delattr(mibench.estimators, "_maxnorm_counts")  # ``from package import module`` looks here first
    monkeypatch.setattr(builtins, "__import__", no_compiled_counts)
    _neighbors.compiled_counts_available.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="ImportError.*fall back to scikit-learn"):
            assert not _neighbors.compiled_counts_available()
        rng = np.random.default_rng(5)
        points = rng.standard_normal((300, 2))
        eps = rng.uniform(0.1, 1.0, size=300)
        np.testing.assert_array_equal(
            _neighbors.count_within_tree(points, eps), (cdist(points, points, "chebyshev") < eps[:, None]).sum(1) - 1
        )
    finally:
        _neighbors.compiled_counts_available.cache_clear()


def test_a_kernel_that_fails_to_compile_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only a missing numba: any failure to build the kernels (no writable cache, a compiler error) must leave
    KSG working on the fallback, with the cause in the warning, and the same value."""
    from mibench.estimators.ksg import KSG

    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((400, 2)), rng.standard_normal((400, 2))
    compiled = KSG().estimate(x, y)

    def cannot_compile(points: np.ndarray, radius: np.ndarray, threads: int = 1) -> np.ndarray:
        raise RuntimeError("cannot cache function '_build': no locator available")

    monkeypatch.setattr(_maxnorm_counts, "count_within_radius", cannot_compile)
    _neighbors.compiled_counts_available.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="RuntimeError: cannot cache function"):
            _neighbors.prepare_compiled_counts()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # warned once already: no second warning per call
            fallback = KSG().estimate(x, y)
    finally:
        _neighbors.compiled_counts_available.cache_clear()
    assert fallback == compiled
