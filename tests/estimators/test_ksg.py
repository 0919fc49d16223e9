"""KSG algorithms 1 and 2: exact agreement with naive O(n^2) references, accuracy on Gaussians, ties, threads and
input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import digamma

import mibench
from mibench.estimators import _neighbors
from mibench.estimators.ksg import KSG, KSG2
from mibench.interface import validate_sample
from tests.estimators.scales import EXACT_SCALES, ROUNDED_SCALES, assert_same_estimate, unit_sample

TRUE_MI_RHO_075 = -0.5 * math.log(1 - 0.75**2)  # 0.413339 nats (bmi's 1v1-normal-0.75)


def ksg_reference(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """KSG algorithm 1 written out naively: full max-norm distance matrices, explicit strict counts."""
    x = x.reshape(len(x), -1)
    y = y.reshape(len(y), -1)
    n = len(x)
    dx = np.abs(x[:, None, :] - x[None, :, :]).max(axis=2)
    dy = np.abs(y[:, None, :] - y[None, :, :]).max(axis=2)
    joint = np.maximum(dx, dy)
    total = 0.0
    for i in range(n):
        others = np.delete(np.arange(n), i)
        eps = np.sort(joint[i, others])[k - 1]  # distance to the k-th nearest other point
        n_x = sum(1 for j in others if dx[i, j] < eps)
        n_y = sum(1 for j in others if dy[i, j] < eps)
        total += digamma(n_x + 1) + digamma(n_y + 1)
    return float(digamma(k) + digamma(n) - total / n)


def ksg2_reference(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """KSG algorithm 2 (Kraskov et al. 2004, eq. 9) written out naively, with mibench's tie rule: the joint
    neighbour set of i is every other point at joint distance <= the k-th smallest one."""
    x = x.reshape(len(x), -1)
    y = y.reshape(len(y), -1)
    n = len(x)
    dx = np.abs(x[:, None, :] - x[None, :, :]).max(axis=2)
    dy = np.abs(y[:, None, :] - y[None, :, :]).max(axis=2)
    joint = np.maximum(dx, dy)
    total = 0.0
    for i in range(n):
        others = np.delete(np.arange(n), i)
        eps = np.sort(joint[i, others])[k - 1]
        neighbours = [j for j in others if joint[i, j] <= eps]
        eps_x = max(dx[i, j] for j in neighbours)
        eps_y = max(dy[i, j] for j in neighbours)
        n_x = sum(1 for j in others if dx[i, j] <= eps_x)
        n_y = sum(1 for j in others if dy[i, j] <= eps_y)
        total += digamma(n_x) + digamma(n_y)
    return float(digamma(k) - 1.0 / k + digamma(n) - total / n)


def lattice(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n distinct points of a 30 x 30 lattice: no joint duplicates, but masses of exact distance ties."""
    cells = rng.choice(900, size=n, replace=False)
    return (cells % 30) * 0.1, (cells // 30) * 0.1


def correlated(rng: np.random.Generator, n: int, dx: int, dy: int) -> tuple[np.ndarray, np.ndarray]:
    """A random linear-Gaussian pair with some dependence (the values themselves do not matter)."""
    x = rng.standard_normal((n, dx))
    y = x[:, :1] @ rng.standard_normal((1, dy)) + rng.standard_normal((n, dy))
    return x, y


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (2, 3), (5, 5)])
def test_matches_naive_reference(dx: int, dy: int, k: int) -> None:
    rng = np.random.default_rng(100 * dx + 10 * dy + k)
    x, y = correlated(rng, 300, dx, dy)
    expected = ksg_reference(x, y, k)
    assert KSG(k=k).estimate(x, y) == pytest.approx(expected, abs=1e-9)
    # the brute-force path, forced on the same low-dimensional data
    brute = KSG(k=k)._estimate(*validate_sample(x, y), k, "brute")
    assert brute.info["neighbour_search"] == "brute-force"
    assert brute.value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("k", [1, 3])
def test_brute_force_path_in_high_dimension(k: int) -> None:
    rng = np.random.default_rng(7)
    x, y = correlated(rng, 200, 12, 10)  # 22 joint dimensions: "auto" picks brute force
    estimate = KSG(k=k).estimate_with_info(x, y)
    assert estimate.info["neighbour_search"] == "brute-force"
    assert estimate.value == pytest.approx(ksg_reference(x, y, k), abs=1e-9)
    # the tree path agrees there too, and small blocks change nothing
    assert KSG(k=k)._estimate(x, y, k, "tree").value == pytest.approx(estimate.value, abs=1e-12)
    _, n_x, n_y = _neighbors.ksg_counts_brute_force(x, y, k, block_rows=7)
    assert float(digamma(k) + digamma(200) - np.mean(digamma(n_x + 1.0) + digamma(n_y + 1.0))) == (
        pytest.approx(estimate.value, abs=1e-12)
    )


def test_exact_counting_at_boundaries_and_marginal_ties() -> None:
    """Points exactly at distance eps and repeated marginal values are where fast counting goes wrong."""
    rng = np.random.default_rng(3)
    n = 400
    # x on a coarse grid (many equal marginal values, many exact distance ties); y continuous, so the joint
    # points are distinct and KSG is defined
    x = rng.integers(0, 20, size=n) * 0.1
    y = rng.standard_normal(n)
    assert KSG(k=3).estimate(x, y) == pytest.approx(ksg_reference(x, y, 3), abs=1e-9)
    # values spanning many magnitudes, where fl(x_i + eps) and fl(x_j - x_i) round differently
    x = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, size=n)
    y = x + rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, size=n)
    for k in (1, 4):
        assert KSG(k=k).estimate(x, y) == pytest.approx(ksg_reference(x, y, k), abs=1e-9)


def test_sorted_counting_matches_direct_counting() -> None:
    rng = np.random.default_rng(11)
    values = np.round(rng.standard_normal(500), 1)  # heavy ties
    eps = rng.choice([0.1, 0.2, 0.30000000000000004, 0.05], size=500)
    direct = (np.abs(values[None, :] - values[:, None]) < eps[:, None]).sum(axis=1) - 1
    np.testing.assert_array_equal(_neighbors.count_within_sorted_1d(values, eps), direct)
    np.testing.assert_array_equal(_neighbors.count_within_tree(values[:, None], eps), direct)


def _mean_and_stderr(values: list[float]) -> tuple[float, float]:
    """Mean over seeds and its standard error (the SD across the seeds / sqrt(#seeds))."""
    return float(np.mean(values)), float(np.std(values, ddof=1) / math.sqrt(len(values)))


@pytest.mark.parametrize("estimator_class", [KSG, KSG2])
def test_bivariate_gaussian_accuracy(estimator_class: type) -> None:
    # Tolerance: |mean over seeds - truth| <= 4 standard errors (a t-statistic with 7 degrees of freedom exceeds
    # 4 with probability ~0.5%) plus 0.005 nats for KSG's own systematic error. Kraskov et al. (2004) find that
    # error small for Gaussians, shrinking with N, of order 1e-3 nats at N = 10^4, and (fig. 4) algorithm 2's as
    # small as algorithm 1's. Measured here with 60 seeds at N = 10^4 when these tests were written: algorithm 1
    # -0.0007 +- 0.0015 nats; algorithm 2 -0.0009 +- 0.0017 (SD across seeds 0.013). 0.005 is a bound on the
    # bias, not a number fitted to these seeds.
    values = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(10_000)
        y = 0.75 * x + math.sqrt(1 - 0.75**2) * rng.standard_normal(10_000)
        values.append(estimator_class(k=3).estimate(x, y))
    mean, stderr = _mean_and_stderr(values)
    assert abs(mean - TRUE_MI_RHO_075) <= 4 * stderr + 0.005, (mean, stderr)


@pytest.mark.parametrize("estimator_class", [KSG, KSG2])
def test_independent_variables_near_zero(estimator_class: type) -> None:
    # Same reasoning as above with truth 0: KSG is nearly unbiased for independent variables (the paper's
    # motivating property; measured here over 60 seeds at N = 10^4: algorithm 1 +0.0003 +- 0.0012 nats,
    # algorithm 2 +0.0008 +- 0.0012).
    values = []
    for seed in range(8):
        rng = np.random.default_rng(1000 + seed)
        x = rng.standard_normal((10_000, 1))
        y = rng.uniform(size=(10_000, 1))
        values.append(estimator_class(k=3).estimate(x, y))
    mean, stderr = _mean_and_stderr(values)
    assert abs(mean) <= 4 * stderr + 0.005, (mean, stderr)


def test_info_and_determinism() -> None:
    rng = np.random.default_rng(5)
    x, y = correlated(rng, 500, 2, 1)
    first = KSG(k=4).estimate_with_info(x, y)
    assert first.value == KSG(k=4).estimate(x, y)
    assert first.info["k"] == 4
    assert first.info["algorithm"] == 1
    assert first.info["neighbour_search"] == "kd-tree"  # 3 joint dimensions: the tree even at n = 500
    assert first.info["mean_n_x"] > 0 and first.info["mean_n_y"] > 0
    # 1-D input is accepted as a column; lists and integer-free numeric input work
    assert KSG().estimate(x[:, 0], y[:, 0]) == KSG().estimate(x[:, :1].tolist(), y)


def test_parameters_are_stored_verbatim() -> None:
    estimator = KSG(k=7)
    assert estimator.get_params() == {"k": 7}
    assert repr(estimator) == "KSG(k=7)"
    assert KSG(k="bad").k == "bad"  # validated when estimating, not when constructing
    assert KSG.tags.min_samples == 4 and not KSG.tags.accepts_discrete and not KSG.tags.stochastic


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((10, 1)), np.zeros((9, 1)), "same number of samples"),
        (np.zeros((10, 1, 2)), np.zeros((10, 1)), "1-D or 2-D"),
        (np.array([0.0, 1.0, np.nan, 3.0, 4.0]), np.arange(5.0), "NaN"),
        (np.arange(3.0), np.arange(3.0), "too few samples"),
        (np.array(["a", "b", "c", "d", "e"]), np.arange(5.0), "numeric"),
    ],
)
def test_bad_input(x: np.ndarray, y: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        KSG(k=3).estimate(x, y)


def test_n_must_exceed_k() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="too few samples: got n=5"):
        KSG(k=5).estimate(rng.standard_normal(5), rng.standard_normal(5))
    assert np.isfinite(KSG(k=5).estimate(rng.standard_normal(6), rng.standard_normal(6)))


@pytest.mark.parametrize("k", [0, -1, 2.5, "3", True, None])
def test_bad_k(k: object) -> None:
    with pytest.raises(ValueError, match=r"k .*must be an integer >= 1"):
        KSG(k=k).estimate(np.arange(10.0), np.arange(10.0))  # type: ignore[arg-type]


def test_ties_are_rejected() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=200)
    y = rng.integers(0, 3, size=200)
    with pytest.raises(ValueError, match=r"undefined on tied samples.*noise"):
        KSG().estimate(x, y)
    xb, yb = validate_sample(x, y)
    with pytest.raises(ValueError, match="undefined on tied samples"):
        KSG()._estimate(xb, yb, 3, "brute")
    # a few duplicates (fewer than k + 1 copies) are fine
    x = rng.standard_normal(100)
    y = rng.standard_normal(100)
    x[1], y[1] = x[0], y[0]
    assert np.isfinite(KSG(k=3).estimate(x, y))
    assert KSG(k=3).estimate(x, y) == pytest.approx(ksg_reference(x, y, 3), abs=1e-9)


# --------------------------------------------------------------------------------------------------------------
# Algorithm 2
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (2, 3), (5, 5)])
def test_ksg2_matches_naive_reference(dx: int, dy: int, k: int) -> None:
    rng = np.random.default_rng(1000 + 100 * dx + 10 * dy + k)
    x, y = correlated(rng, 300, dx, dy)
    expected = ksg2_reference(x, y, k)
    xv, yv = validate_sample(x, y)
    for method in ("tree", "brute"):
        estimate = KSG2(k=k)._estimate(xv, yv, k, method)
        assert estimate.value == pytest.approx(expected, abs=1e-9), method
        assert estimate.info["algorithm"] == 2
    assert KSG2(k=k).estimate(x, y) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_ksg2_tie_rule_on_a_lattice(k: int) -> None:
    """Many points at exactly the k-th neighbour distance: all of them join the neighbour set, on both paths,
    and the value does not depend on the order of the rows."""
    rng = np.random.default_rng(20 + k)
    x, y = lattice(rng, 400)
    expected = ksg2_reference(x, y, k)
    xv, yv = validate_sample(x, y)
    for method in ("tree", "brute"):
        assert KSG2(k=k)._estimate(xv, yv, k, method).value == pytest.approx(expected, abs=1e-9), method
    perm = rng.permutation(400)
    assert KSG2(k=k).estimate(x[perm], y[perm]) == pytest.approx(expected, abs=1e-9)
    # algorithm 1 on the same data (strict counts need no tie rule)
    assert KSG(k=k).estimate(x, y) == pytest.approx(ksg_reference(x, y, k), abs=1e-9)


def test_ksg2_marginal_ties_and_magnitudes() -> None:
    rng = np.random.default_rng(4)
    n = 400
    x = rng.integers(0, 20, size=n) * 0.1  # many equal marginal values
    y = rng.standard_normal(n)
    assert KSG2(k=3).estimate(x, y) == pytest.approx(ksg2_reference(x, y, 3), abs=1e-9)
    x = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, size=n)
    y = x + rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, size=n)
    for k in (1, 4):
        assert KSG2(k=k).estimate(x, y) == pytest.approx(ksg2_reference(x, y, k), abs=1e-9)


def test_ksg2_high_dimension_paths_agree() -> None:
    rng = np.random.default_rng(8)
    x, y = correlated(rng, 200, 12, 10)
    estimate = KSG2(k=3).estimate_with_info(x, y)
    assert estimate.info["neighbour_search"] == "brute-force"
    assert estimate.value == pytest.approx(ksg2_reference(x, y, 3), abs=1e-9)
    assert KSG2(k=3)._estimate(x, y, 3, "tree").value == pytest.approx(estimate.value, abs=1e-12)
    _, n_x, n_y = _neighbors.ksg_counts_brute_force(x, y, 3, block_rows=7, algorithm=2)
    value = float(digamma(3) - 1 / 3 + digamma(200) - np.mean(digamma(n_x * 1.0) + digamma(n_y * 1.0)))
    assert value == pytest.approx(estimate.value, abs=1e-12)


def test_ksg2_parameters_info_and_ties() -> None:
    estimator = KSG2(k=5)
    assert estimator.get_params() == {"k": 5}
    assert repr(estimator) == "KSG2(k=5)"
    assert KSG2.tags == KSG.tags
    assert estimator != KSG(k=5)
    with pytest.raises(ValueError, match=r"k .*must be an integer >= 1"):
        KSG2(k=0).estimate(np.arange(10.0), np.arange(10.0))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=200)
    y = rng.integers(0, 3, size=200)
    with pytest.raises(ValueError, match=r"undefined on tied samples.*noise"):
        KSG2().estimate(x, y)
    xb, yb = validate_sample(x, y)
    for method in ("tree", "brute"):
        with pytest.raises(ValueError, match="undefined on tied samples"):
            KSG2()._estimate(xb, yb, 3, method)
    # fewer than k + 1 copies of a point are fine (eps > 0), and the smallest sample n = k + 1 works
    x = rng.standard_normal(100)
    y = rng.standard_normal(100)
    x[1], y[1] = x[0], y[0]
    assert KSG2(k=3).estimate(x, y) == pytest.approx(ksg2_reference(x, y, 3), abs=1e-9)
    for method in ("tree", "brute"):
        value = KSG2(k=3)._estimate(x[:4, None], y[:4, None], 3, method).value
        assert value == pytest.approx(ksg2_reference(x[:4], y[:4], 3), abs=1e-12)


# --------------------------------------------------------------------------------------------------------------
# Neighbour primitives: strictness, tree order, threads, the search choice
# --------------------------------------------------------------------------------------------------------------


def test_non_strict_counting_matches_direct_counting() -> None:
    rng = np.random.default_rng(12)
    values = np.round(rng.standard_normal(500), 1)
    eps = rng.choice([0.0, 0.1, 0.2, 0.30000000000000004, 0.05], size=500)
    direct = (np.abs(values[None, :] - values[:, None]) <= eps[:, None]).sum(axis=1) - 1
    np.testing.assert_array_equal(_neighbors.count_within_sorted_1d(values, eps, strict=False), direct)
    np.testing.assert_array_equal(_neighbors.count_within_tree(values[:, None], eps, strict=False), direct)
    points = np.round(rng.standard_normal((500, 3)), 1)
    dist = np.abs(points[:, None, :] - points[None, :, :]).max(axis=2)
    for strict in (True, False):
        radius = eps + (0.1 if strict else 0.0)
        expected = ((dist < radius[:, None]) if strict else (dist <= radius[:, None])).sum(axis=1) - 1
        np.testing.assert_array_equal(_neighbors.count_within_tree(points, radius, strict=strict), expected)


def test_tree_order_query_matches_plain_query() -> None:
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(13)
    points = rng.standard_normal((3000, 4))
    plain = cKDTree(points).query(points, k=[4], p=np.inf)[0][:, 0]
    np.testing.assert_array_equal(_neighbors.kth_neighbour_distance_tree(points, 3), plain)


def test_results_do_not_depend_on_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_neighbors, "PARALLEL_MIN_WORK", 0)  # threads even for this small sample
    rng = np.random.default_rng(14)
    x, y = correlated(rng, 5000, 3, 2)
    xv, yv = validate_sample(x, y)
    values = {}
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("MIBENCH_WORKER_THREADS", threads)
        assert _neighbors.thread_count() == int(threads)
        values[threads] = [
            estimator._estimate(xv, yv, 3, method).value
            for estimator in (KSG(k=3), KSG2(k=3))
            for method in ("tree", "brute")
        ]
    assert values["1"] == values["2"] == values["3"]
    assert values["1"][0] == pytest.approx(values["1"][1], abs=1e-12)
    assert values["1"][2] == pytest.approx(values["1"][3], abs=1e-12)


def test_choose_search() -> None:
    """Brute force below the crossover sample size, the trees from it on; the crossover grows with the joint
    dimension, so 1+1 uses the trees from tiny samples on and 20+20 brute force at any practical size."""
    assert _neighbors.brute_force_crossover(_neighbors.BRUTE_FORCE_REFERENCE_DIM) == _neighbors.BRUTE_FORCE_REFERENCE_N
    for joint_dim in (2, 10, 16, 20, 24):
        crossover = _neighbors.brute_force_crossover(joint_dim)
        assert _neighbors.choose_search(math.ceil(crossover) - 1, joint_dim) == "brute"
        assert _neighbors.choose_search(math.ceil(crossover), joint_dim) == "tree"
    assert _neighbors.brute_force_crossover(4) < _neighbors.brute_force_crossover(5)
    assert _neighbors.choose_search(1_000, 2) == "tree"
    assert _neighbors.choose_search(10**7, 40) == "brute"
    big = 20_000
    rng = np.random.default_rng(15)
    x, y = correlated(rng, big, 1, 1)
    assert KSG().estimate_with_info(x, y).info["neighbour_search"] == "kd-tree"


@pytest.mark.parametrize("scale", EXACT_SCALES + ROUNDED_SCALES)
@pytest.mark.parametrize("name", ["ksg", "ksg2"])
def test_extreme_scales_give_the_unscaled_estimate(name: str, scale: float) -> None:
    """Max-norm distances are only compared and counted, never squared: no rescaling is needed."""
    x, y = unit_sample()
    est = mibench.get_estimator(name)
    assert_same_estimate(est.estimate(x * scale, y * scale), est.estimate(x, y), scale)
