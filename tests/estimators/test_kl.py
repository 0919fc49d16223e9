"""Kozachenko-Leonenko entropy, the 3H MI estimator and the weighted (BSY) version.

Exactness against naive O(n^2) references, accuracy against closed-form entropies and MI, the BSY weight
constraints, and every ValueError path. Accuracy tolerances are "4 standard errors over the seeds (a t-statistic
with 7-9 degrees of freedom exceeds 4 with probability < 0.5%) plus an allowance for the finite-n bias"; each
allowance is derived from measurements at two or more n (100 seeds unless stated) quoted beside it.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import digamma, gammaln

import mibench
from mibench.estimators import _neighbors
from mibench.estimators import kl as klmod
from mibench.estimators.kl import (
    KLMutualInformation,
    WeightedKL,
    bsy_support,
    bsy_weights,
    kl_entropy,
    knn_distances,
    log_unit_ball_volume,
    weighted_kl_entropy,
    wkl_weights,
)
from mibench.interface import validate_sample
from tests.estimators.scales import EXACT_SCALES, ROUNDED_SCALES, assert_same_estimate, unit_sample

# --------------------------------------------------------------------------------------------------------------
# Naive references
# --------------------------------------------------------------------------------------------------------------


def sorted_neighbour_distances(points: np.ndarray, metric: str) -> np.ndarray:
    """Row i: the distances from point i to all other points, ascending (full n x n matrix; tests only)."""
    diff = np.abs(points[:, None, :] - points[None, :, :])
    dist = np.sqrt((diff**2).sum(axis=2)) if metric == "euclidean" else diff.max(axis=2)
    n = len(points)
    others = dist[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    return np.sort(others, axis=1)


def log_ball(d: int, metric: str) -> float:
    return math.log(math.pi ** (d / 2) / math.gamma(d / 2 + 1)) if metric == "euclidean" else d * math.log(2)


def kl_reference(points: np.ndarray, k: int, metric: str) -> float:
    """Kraskov et al. (2004) eq. 20 as printed: diameter eps = 2 rho and c_d = V_d / 2^d (c_d = 1 for max norm)."""
    points = points.reshape(len(points), -1)
    n, d = points.shape
    eps = 2.0 * sorted_neighbour_distances(points, metric)[:, k - 1]
    log_c_d = 0.0 if metric == "chebyshev" else log_ball(d, "euclidean") - d * math.log(2)
    return float(digamma(n) - digamma(k) + log_c_d + d / n * sum(math.log(e) for e in eps))


def wkl_reference(points: np.ndarray, weights: np.ndarray) -> float:
    """BSY's estimator as printed: H = -(1/n) sum_i sum_j w_j log p_j(x_i),
    log p_j(x_i) = psi(j) - log V_d - d log rho_(j),i - log(n - 1)."""
    points = points.reshape(len(points), -1)
    n, d = points.shape
    rho = sorted_neighbour_distances(points, "euclidean")
    total = 0.0
    for i in range(n):
        for j, w in enumerate(weights, start=1):
            if w != 0:
                log_p = digamma(j) - log_ball(d, "euclidean") - d * math.log(rho[i, j - 1]) - math.log(n - 1)
                total += w * log_p
    return -total / n


def tridiagonal_covariance(d: int) -> np.ndarray:
    """Unit variances, correlation 0.4 between neighbouring coordinates (positive definite for every d)."""
    cov = np.eye(d)
    for i in range(d - 1):
        cov[i, i + 1] = cov[i + 1, i] = 0.4
    return cov


def gaussian_sample(seed: int, n: int, d: int) -> tuple[np.ndarray, float]:
    """n draws of N(0, Sigma) and the closed-form entropy 1/2 log det(2 pi e Sigma)."""
    cov = tridiagonal_covariance(d)
    x = np.random.default_rng(seed).standard_normal((n, d)) @ np.linalg.cholesky(cov).T
    return x, 0.5 * float(np.linalg.slogdet(2 * np.pi * np.e * cov)[1])


def mean_and_stderr(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values, ddof=1) / math.sqrt(len(values)))


# --------------------------------------------------------------------------------------------------------------
# Exactness
# --------------------------------------------------------------------------------------------------------------


def test_log_unit_ball_volume() -> None:
    assert log_unit_ball_volume(1) == pytest.approx(math.log(2.0), abs=1e-15)  # [-1, 1]
    assert log_unit_ball_volume(2) == pytest.approx(math.log(math.pi), abs=1e-15)
    assert log_unit_ball_volume(3) == pytest.approx(math.log(4 * math.pi / 3), abs=1e-15)
    for d in (1, 4, 30):
        assert log_unit_ball_volume(d, "chebyshev") == pytest.approx(d * math.log(2.0), abs=1e-13)
        assert log_unit_ball_volume(d) == pytest.approx(log_ball(d, "euclidean"), abs=1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "chebyshev"])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("d", [1, 3, 5])
def test_kl_entropy_matches_naive_reference(d: int, k: int, metric: str) -> None:
    x = np.random.default_rng(10 * d + k).standard_normal((300, d)) * [1.0, 3.0, 0.1, 2.0, 1.0][:d]
    expected = kl_reference(x, k, metric)
    assert kl_entropy(x, k=k, metric=metric) == pytest.approx(expected, abs=1e-10)
    # the brute-force path forced on the same low-dimensional data
    value, used = klmod._kl_entropy(validate_sample(x, x)[0], k, metric, "brute")
    assert used == "brute"
    assert value == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("metric", ["euclidean", "chebyshev"])
def test_brute_force_in_high_dimension(metric: str) -> None:
    x = np.random.default_rng(1).standard_normal((200, 22))  # >= 20 dimensions: "auto" picks brute force
    dist, used = knn_distances(x, [1, 4], metric)
    assert used == "brute"
    reference = sorted_neighbour_distances(x, metric)[:, [0, 3]]
    np.testing.assert_allclose(dist, reference, rtol=1e-13)
    # the tree path and small blocks give the same distances
    np.testing.assert_allclose(knn_distances(x, [1, 4], metric, "tree")[0], reference, rtol=1e-13)
    np.testing.assert_allclose(knn_distances(x, [1, 4], metric, "brute", block_rows=7)[0], reference, rtol=1e-13)
    assert kl_entropy(x, k=4, metric=metric) == pytest.approx(kl_reference(x, 4, metric), abs=1e-10)


def _screen_data(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal((240, 30))
    if kind == "lattice":  # many exactly tied distances: the screen cannot separate them and must fall back
        return rng.integers(0, 3, (240, 30)).astype(float)
    if kind == "duplicates":
        half = rng.standard_normal((120, 30))
        return np.vstack([half, half])
    # far from the origin: |a|^2 ~ 3e13 dwarfs the squared distances (~6e-5) unless the points are centred
    return rng.standard_normal((240, 30)) * 1e-3 + 1e6


@pytest.mark.parametrize("kind", ["normal", "lattice", "duplicates", "offset"])
def test_euclidean_screen_is_exact(kind: str) -> None:
    """The matrix-product screen only selects candidates; the distances returned are the exact ones."""
    x = _screen_data(kind, np.random.default_rng(7))
    reference = sorted_neighbour_distances(x, "euclidean")[:, [0, 2, 5]]
    dist, used = knn_distances(x, [1, 3, 6], "euclidean", "brute", block_rows=50)
    assert used == "brute"
    np.testing.assert_allclose(dist, reference, rtol=1e-13, atol=0)


def test_euclidean_screen_falls_back_where_it_cannot_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a useless screen (random values) and an infinite error bound, every row must take the exact cdist
    fallback: the screen's candidates are wrong, so only the fallback gives the reference distances."""
    x = _screen_data("normal", np.random.default_rng(8))
    noise = np.random.default_rng(80)
    monkeypatch.setattr(klmod._GemmScreen, "squared", lambda self, start, stop: noise.random((stop - start, 240)))
    monkeypatch.setattr(klmod._GemmScreen, "tolerance", lambda self, start, stop: np.full(stop - start, np.inf))
    dist, _ = knn_distances(x, [1, 4], "euclidean", "brute", block_rows=64)
    np.testing.assert_allclose(dist, sorted_neighbour_distances(x, "euclidean")[:, [0, 3]], rtol=1e-13)


@pytest.mark.parametrize("kind", ["normal", "offset"])
def test_euclidean_screen_error_bound_holds(kind: str) -> None:
    """Every screened squared distance lies within the stated rounding bound of the exact one."""
    x = _screen_data(kind, np.random.default_rng(9))
    screen = klmod._GemmScreen(x)
    approx = screen.squared(0, x.shape[0])
    exact = np.array([[float(np.sum((a - b) ** 2)) for b in x] for a in x[:40]])
    error = np.abs(approx[:40] - exact)
    assert np.all(error <= screen.tolerance(0, 40)[:, None])


def test_duplicates_fewer_than_k_are_exact() -> None:
    x = np.random.default_rng(2).standard_normal((150, 2))
    x[1] = x[0]
    x[2] = x[0]  # three copies: the 1st and 2nd neighbour distances of these points are 0, the 3rd is not
    for method in ("tree", "brute"):
        dist, _ = knn_distances(x, [1, 2, 3], "euclidean", method)
        np.testing.assert_array_equal(dist[:3, :2], 0.0)
        assert np.all(dist[:, 2] > 0)
    assert kl_entropy(x, k=3) == pytest.approx(kl_reference(x, 3, "euclidean"), abs=1e-10)


def test_kl_mutual_information_is_three_entropies() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 2))
    y = x[:, :1] + rng.standard_normal((400, 3))
    xy = np.hstack([x, y])
    for metric in ("euclidean", "chebyshev"):
        expected = kl_reference(x, 4, metric) + kl_reference(y, 4, metric) - kl_reference(xy, 4, metric)
        result = KLMutualInformation(k=4, metric=metric).estimate_with_info(x, y)
        assert result.value == pytest.approx(expected, abs=1e-10)
        assert result.info["h_x"] == pytest.approx(kl_reference(x, 4, metric), abs=1e-10)
        assert result.info["h_xy"] == pytest.approx(kl_reference(xy, 4, metric), abs=1e-10)
        brute = KLMutualInformation()._estimate(x, y, 4, metric, "brute")
        assert brute.value == pytest.approx(expected, abs=1e-10)
        assert brute.info["neighbour_search"] == {"x": "brute", "y": "brute", "xy": "brute"}


@pytest.mark.parametrize(("d", "k", "rule"), [(1, 5, "butakov"), (3, 4, "bsy"), (5, 5, "butakov"), (9, 7, "bsy")])
def test_weighted_entropy_matches_naive_reference(d: int, k: int, rule: str) -> None:
    x = np.random.default_rng(d + k).standard_normal((250, d))
    expected = wkl_reference(x, wkl_weights(k, d, rule))
    assert weighted_kl_entropy(x, k=k, rule=rule) == pytest.approx(expected, abs=1e-10)
    value, _, used = klmod._weighted_kl_entropy(x, k, rule, "brute")
    assert used == "brute"
    assert value == pytest.approx(expected, abs=1e-10)


def test_weighted_mutual_information_is_three_weighted_entropies() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 3))
    y = x + rng.standard_normal((300, 3))  # d = 3, 3 and 6: weights e_1, e_1 and BSY's (one constraint)
    xy = np.hstack([x, y])
    result = WeightedKL(k=5).estimate_with_info(x, y)
    expected = (
        wkl_reference(x, wkl_weights(5, 3)) + wkl_reference(y, wkl_weights(5, 3)) - wkl_reference(xy, wkl_weights(5, 6))
    )
    assert result.value == pytest.approx(expected, abs=1e-10)
    assert result.info["weights"]["x"] == [1.0, 0.0, 0.0, 0.0, 0.0]
    np.testing.assert_array_equal(result.info["weights"]["xy"], bsy_weights(5, 6))


def test_plain_kl_is_weighted_kl_with_unit_weight_up_to_the_normalisation() -> None:
    # BSY normalise with log(n - 1), Kraskov et al. with psi(n); everything else is the same estimator
    x = np.random.default_rng(5).standard_normal((500, 2))
    n = 500
    assert weighted_kl_entropy(x, k=1) - kl_entropy(x, k=1) == pytest.approx(math.log(n - 1) - digamma(n), abs=1e-12)


# --------------------------------------------------------------------------------------------------------------
# BSY weights
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", range(1, 21))
def test_bsy_weights_satisfy_the_constraints(d: int) -> None:
    for k in sorted({max(5, d // 4 + 1), 10, 20, 3 * d}):
        w = bsy_weights(k, d)
        assert w.shape == (k,)
        assert math.fsum(w) == pytest.approx(1.0, abs=1e-10)
        j = np.arange(1, k + 1)
        for ell in range(1, d // 4 + 1):
            ratios = np.exp(gammaln(j + 2 * ell / d) - gammaln(j))
            # 1e-10, except where the weights are so large that float64 cannot hold them to 1e-10 (d = 20, k = 6:
            # w ~ 4e5, one ulp ~ 6e-11): there 10 ulps of the sum of |terms| (about 4e-10)
            tolerance = max(1e-10, 10 * np.finfo(float).eps * math.fsum(np.abs(w * ratios)))
            assert abs(math.fsum(w * ratios)) <= tolerance, (d, k, ell)
        # zero outside BSY's support {floor(ik/d)}; for k <= d that support is all of 1..k
        outside = np.setdiff1d(np.arange(1, k + 1), bsy_support(k, d))
        np.testing.assert_array_equal(w[outside - 1], 0.0)
        if k <= d:
            np.testing.assert_array_equal(bsy_support(k, d), np.arange(1, k + 1))
        if d <= 3:  # no bias constraint: BSY's unweighted estimator, the k-th neighbour only
            np.testing.assert_array_equal(w, np.eye(k)[k - 1])


@pytest.mark.parametrize(("k", "d"), [(5, 4), (10, 8), (7, 12), (30, 9)])
def test_bsy_weights_have_minimum_norm(k: int, d: int) -> None:
    # the minimum-norm solution of G w = e_1 is G^T (G G^T)^{-1} e_1 (the formula of IndepTest::L2OptW), with G
    # restricted to the support; it is orthogonal to every other solution's difference (the null space of G)
    support = bsy_support(k, d)
    j = support.astype(float)
    g = np.vstack([np.ones(len(j))] + [np.exp(gammaln(j + 2 * ell / d) - gammaln(j)) for ell in range(1, d // 4 + 1)])
    rhs = np.zeros(g.shape[0])
    rhs[0] = 1.0
    expected = g.T @ np.linalg.solve(g @ g.T, rhs)
    w = bsy_weights(k, d)
    np.testing.assert_allclose(w[support - 1], expected, rtol=1e-7, atol=1e-9)
    null_space = np.linalg.svd(g)[2][g.shape[0] :]
    assert np.abs(null_space @ w[support - 1]).max() < 1e-9


def test_weight_rules() -> None:
    # "butakov": plain 1-NN KL up to d = 4 (Butakov et al.'s WKL), BSY from d = 5; "bsy": BSY everywhere
    for d in range(1, 5):
        np.testing.assert_array_equal(wkl_weights(5, d), [1.0, 0, 0, 0, 0])
    for d in range(1, 4):
        np.testing.assert_array_equal(wkl_weights(5, d, "bsy"), [0, 0, 0, 0, 1.0])
    np.testing.assert_array_equal(wkl_weights(5, 4, "bsy"), bsy_weights(5, 4))
    assert abs(bsy_weights(5, 4) @ np.exp(gammaln(np.arange(1, 6) + 0.5) - gammaln(np.arange(1, 6)))) < 1e-12
    for d in (5, 10, 19):
        np.testing.assert_array_equal(wkl_weights(5, d), bsy_weights(5, d))
        np.testing.assert_array_equal(wkl_weights(5, d, "bsy"), bsy_weights(5, d))


# --------------------------------------------------------------------------------------------------------------
# Accuracy
# --------------------------------------------------------------------------------------------------------------

# Finite-n bias allowances at n = 4000 for N(0, Sigma) with the tridiagonal Sigma above. Measured bias (estimate
# minus truth, 100 seeds, +- standard error) at n = 1000 / 4000 / 16000:
#   KL  k=3  d=1: -0.0063 +- 0.0036 / -0.0038 +- 0.0015 / -0.0008 +- 0.0010
#   KL  k=3  d=2: -0.0248 +- 0.0036 / -0.0105 +- 0.0019 / -0.0041 +- 0.0012
#   KL  k=3  d=5: -0.0576 +- 0.0049 / -0.0563 +- 0.0028 / -0.0433 +- 0.0014
#   WKL k=5  d=1: -0.0084 +- 0.0055 / -0.0034 +- 0.0027 / +0.0006 +- 0.0014   (1-NN)
#   WKL k=5  d=2: -0.0127 +- 0.0058 / -0.0046 +- 0.0027 / -0.0018 +- 0.0015   (1-NN)
#   WKL k=5  d=5: -0.0703 +- 0.0096 / -0.0336 +- 0.0047 / -0.0169 +- 0.0026   (BSY weights)
# The bias shrinks with n (KL in d = 5 slowly: its (k/n)^(2/d) term is what BSY's weights cancel), so |bias at
# n = 1000| + 2 SE bounds the bias at n = 4000; rounded up, that is the allowance.
GAUSSIAN_ALLOWANCE = {("kl", 1): 0.015, ("kl", 2): 0.035, ("kl", 5): 0.07, ("wkl", 1): 0.02, ("wkl", 2): 0.025}
GAUSSIAN_ALLOWANCE[("wkl", 5)] = 0.09


@pytest.mark.parametrize("d", [1, 2, 5])
def test_gaussian_entropy(d: int) -> None:
    errors: dict[str, list[float]] = {"kl": [], "wkl": []}
    for seed in range(10):
        x, truth = gaussian_sample(seed, 4000, d)
        errors["kl"].append(kl_entropy(x, k=3) - truth)
        errors["wkl"].append(weighted_kl_entropy(x, k=5) - truth)
    for name, values in errors.items():
        bias, stderr = mean_and_stderr(values)
        assert abs(bias) <= 4 * stderr + GAUSSIAN_ALLOWANCE[(name, d)], (name, bias, stderr)


def test_uniform_square_entropy() -> None:
    # h = 0 on [0, 1]^2. The boundary makes both estimators overestimate; measured (100 seeds) at n = 1000 / 4000 /
    # 16000: KL k=3 +0.0337 +- 0.0036 / +0.0176 +- 0.0020 / +0.0086 +- 0.0009, WKL (1-NN) +0.0120 +- 0.0052 /
    # +0.0089 +- 0.0026 / +0.0033 +- 0.0013. Allowance at n = 4000: |bias at 1000| + 2 SE, rounded up.
    kl_values, wkl_values = [], []
    for seed in range(10):
        x = np.random.default_rng(500 + seed).uniform(size=(4000, 2))
        kl_values.append(kl_entropy(x, k=3))
        wkl_values.append(weighted_kl_entropy(x, k=5))
    for values, allowance in ((kl_values, 0.045), (wkl_values, 0.025)):
        bias, stderr = mean_and_stderr(values)
        assert abs(bias) <= 4 * stderr + allowance, (bias, stderr)


@pytest.mark.slow
def test_weights_reduce_the_entropy_bias_in_five_dimensions() -> None:
    # BSY's point: in d >= 4 the KL bias decays slower than n^(-1/2) and the weights remove its leading term.
    # Measured at n = 16000 (100 seeds): KL k=3 -0.0433 +- 0.0014, WKL k=5 -0.0169 +- 0.0026. Asserted with 40
    # seeds: WKL's |bias| + 3 SE stays below KL's |bias| - 3 SE (expected about 0.029 < 0.037).
    kl_errors, wkl_errors = [], []
    for seed in range(40):
        x, truth = gaussian_sample(seed, 16_000, 5)
        kl_errors.append(kl_entropy(x, k=3) - truth)
        wkl_errors.append(weighted_kl_entropy(x, k=5) - truth)
    kl_bias, kl_se = mean_and_stderr(kl_errors)
    wkl_bias, wkl_se = mean_and_stderr(wkl_errors)
    assert abs(wkl_bias) + 3 * wkl_se < abs(kl_bias) - 3 * kl_se, (kl_bias, kl_se, wkl_bias, wkl_se)


@pytest.mark.parametrize("rho", [0.0, 0.75])
def test_bivariate_gaussian_mutual_information(rho: float) -> None:
    # 1 + 1 dimensions, n = 2500. Measured bias (40 seeds): independent Gaussians KL k=3 +0.0027 +- 0.0039,
    # WKL +0.0030 +- 0.0076 (n = 10^4: +0.0012 +- 0.0020, +0.0011 +- 0.0042); rho = 0.75 KL +0.0016 +- 0.0052,
    # WKL +0.0054 +- 0.0086 (n = 10^4: +0.0027 +- 0.0026, +0.0050 +- 0.0041). Allowance 0.02 bounds these.
    truth = -0.5 * math.log(1 - rho**2)
    kl_values, wkl_values = [], []
    for seed in range(8):
        rng = np.random.default_rng(1000 + seed)
        x = rng.standard_normal(2500)
        y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(2500)
        kl_values.append(KLMutualInformation().estimate(x, y))
        wkl_values.append(WeightedKL().estimate(x, y))
    for values in (kl_values, wkl_values):
        mean, stderr = mean_and_stderr(values)
        assert abs(mean - truth) <= 4 * stderr + 0.02, (mean, stderr, truth)


# --------------------------------------------------------------------------------------------------------------
# Bookkeeping
# --------------------------------------------------------------------------------------------------------------


def test_info_determinism_and_parameters() -> None:
    x, y = mibench.get_task("gaussian-pairs-2x2-mi1").sample(500, seed=0)
    first = KLMutualInformation(k=4, metric="chebyshev").estimate_with_info(x, y)
    assert first.value == KLMutualInformation(k=4, metric="chebyshev").estimate(x, y)
    assert first.info["k"] == 4 and first.info["metric"] == "chebyshev"
    assert first.value == pytest.approx(first.info["h_x"] + first.info["h_y"] - first.info["h_xy"], abs=1e-12)
    assert first.info["neighbour_search"] == {"x": "tree", "y": "tree", "xy": "tree"}
    weighted = WeightedKL(weights="bsy").estimate_with_info(x, y)
    assert weighted.info["k"] == 5 and weighted.info["weights_rule"] == "bsy"
    assert weighted.info["weights"]["xy"] == bsy_weights(5, 4).tolist()
    assert json.loads(json.dumps(first.info)) == first.info  # JSON-able
    assert json.loads(json.dumps(weighted.info)) == weighted.info
    # 1-D input is a column; lists work
    assert KLMutualInformation().estimate(x[:, 0], y[:, 0]) == KLMutualInformation().estimate(
        x[:, :1].tolist(), y[:, :1]
    )

    assert KLMutualInformation(k=7, metric="chebyshev").get_params() == {"k": 7, "metric": "chebyshev"}
    assert repr(WeightedKL()) == "WeightedKL(k=5, weights='butakov')"
    assert KLMutualInformation(k="bad").k == "bad" and WeightedKL(weights=3).weights == 3  # validated later
    assert KLMutualInformation.tags.min_samples == 4 and WeightedKL.tags.min_samples == 6
    assert WeightedKL.tags.max_dim == 11 and KLMutualInformation.tags.max_dim is None
    assert not KLMutualInformation.tags.accepts_discrete and not WeightedKL.tags.stochastic


def test_thread_cap_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(6).standard_normal((300, 3))
    unlimited = kl_entropy(x)
    monkeypatch.setenv("MIBENCH_WORKER_THREADS", "1")
    assert _neighbors.query_workers() == 1
    assert kl_entropy(x) == unlimited


# --------------------------------------------------------------------------------------------------------------
# ValueError paths
# --------------------------------------------------------------------------------------------------------------

BAD_K = [0, -1, 2.5, "3", True, None]


@pytest.mark.parametrize("k", BAD_K)
def test_bad_k(k: object) -> None:
    x = np.arange(20.0)
    with pytest.raises(ValueError, match=r"kl_entropy: k .*must be an integer >= 1"):
        kl_entropy(x, k=k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"weighted_kl_entropy: k .*must be an integer >= 1"):
        weighted_kl_entropy(x, k=k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"KLMutualInformation: k .*must be an integer >= 1"):
        KLMutualInformation(k=k).estimate(x, x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"WeightedKL: k .*must be an integer >= 1"):
        WeightedKL(k=k).estimate(x, x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"k .*must be an integer >= 1"):
        bsy_weights(k, 3)  # type: ignore[arg-type]


def test_n_must_exceed_k() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(5), rng.standard_normal(5)
    with pytest.raises(ValueError, match="too few samples: got n=5"):
        kl_entropy(x, k=5)
    with pytest.raises(ValueError, match="too few samples: got n=5"):
        weighted_kl_entropy(x, k=5)
    with pytest.raises(ValueError, match="too few samples: got n=5"):
        KLMutualInformation(k=5).estimate(x, y)
    with pytest.raises(ValueError, match="too few samples: got n=5"):
        WeightedKL(k=5).estimate(x, y)
    assert np.isfinite(KLMutualInformation(k=4).estimate(x, y))
    assert np.isfinite(WeightedKL(k=4).estimate(x, y))
    with pytest.raises(ValueError, match=r"ranks must lie in 1\.\.n-1"):
        knn_distances(np.zeros((5, 1)), [5])
    with pytest.raises(ValueError, match=r"ranks must lie in 1\.\.n-1"):
        knn_distances(np.zeros((5, 1)), [0])


@pytest.mark.parametrize("metric", ["manhattan", "max", "Euclidean", None, 2])
def test_bad_metric(metric: object) -> None:
    x = np.random.default_rng(0).standard_normal(20)
    with pytest.raises(ValueError, match="unknown metric"):
        kl_entropy(x, metric=metric)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="KLMutualInformation: unknown metric"):
        KLMutualInformation(metric=metric).estimate(x, x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown metric"):
        log_unit_ball_volume(2, metric)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown metric"):
        knn_distances(x.reshape(-1, 1), [1], metric)  # type: ignore[arg-type]


def test_bad_weight_rule_method_and_dimension() -> None:
    x = np.random.default_rng(0).standard_normal(20)
    with pytest.raises(ValueError, match="WeightedKL: unknown weights rule"):
        WeightedKL(weights="uniform").estimate(x, x)
    with pytest.raises(ValueError, match="unknown weight rule"):
        weighted_kl_entropy(x, rule="uniform")
    with pytest.raises(ValueError, match="unknown neighbour search"):
        knn_distances(x.reshape(-1, 1), [1], "euclidean", "ball")  # type: ignore[arg-type]
    for d in (0, 2.0, True):
        with pytest.raises(ValueError, match="dimension d must be an integer >= 1"):
            bsy_weights(5, d)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="dimension d must be an integer >= 1"):
            log_unit_ball_volume(d)  # type: ignore[arg-type]


def test_k_too_small_for_the_dimension() -> None:
    # 10 + 10 dimensions: the joint term needs floor(20/4) + 1 = 6 neighbour ranks
    x, y = mibench.get_task("gaussian-pairs-10x10-mi2").sample(200, seed=0)
    with pytest.raises(ValueError, match=r"d=20 .*needs at least 6 neighbour ranks; k=5 allows 5.*k >= 6"):
        WeightedKL().estimate(x, y)
    with pytest.raises(ValueError, match="needs at least 3 neighbour ranks"):
        bsy_weights(2, 8)
    assert np.isfinite(WeightedKL(k=6).estimate(x, y))


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((10, 1)), np.zeros((9, 1)), "same number of samples"),
        (np.zeros((10, 1, 2)), np.zeros((10, 1)), "1-D or 2-D"),
        (np.array([0.0, 1.0, np.nan, 3.0, 4.0, 5.0, 6.0]), np.arange(7.0), "NaN"),
        (np.array(list("abcdefg")), np.arange(7.0), "numeric"),
    ],
)
def test_bad_input(x: np.ndarray, y: np.ndarray, match: str) -> None:
    for estimator in (KLMutualInformation(), WeightedKL()):
        with pytest.raises(ValueError, match=match):
            estimator.estimate(x, y)
    if x.shape[0] == 7:
        with pytest.raises(ValueError, match=match):
            kl_entropy(x)


def test_ties_are_rejected() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(200, 2)).astype(float)
    y = rng.integers(0, 3, size=200).astype(float)
    with pytest.raises(ValueError, match=r"undefined on tied samples.*noise"):
        kl_entropy(x)
    with pytest.raises(ValueError, match=r"undefined on tied samples.*the joint sample"):
        KLMutualInformation().estimate(x, y)
    with pytest.raises(ValueError, match=r"weighted Kozachenko-Leonenko estimator is undefined on tied samples"):
        WeightedKL().estimate(x, y)
    with pytest.raises(ValueError, match="undefined on tied samples"):
        weighted_kl_entropy(x)
    # ties in one marginal only (x discrete, y continuous): the joint points are distinct, h(X) is not defined
    y = rng.standard_normal(200)
    with pytest.raises(ValueError, match=r"points of x have"):
        KLMutualInformation().estimate(x, y)
    with pytest.raises(ValueError, match=r"points of x have"):
        WeightedKL().estimate(x, y)
    # one duplicated pair: KL with k = 3 is fine, the 1-NN weighting (d <= 4) is not
    x = rng.standard_normal(100)
    y = rng.standard_normal(100)
    x[1], y[1] = x[0], y[0]
    assert np.isfinite(KLMutualInformation(k=3).estimate(x, y))
    with pytest.raises(ValueError, match="at least k=1 exact duplicates"):
        WeightedKL().estimate(x, y)


@pytest.mark.parametrize("scale", EXACT_SCALES + ROUNDED_SCALES)
@pytest.mark.parametrize("name", ["kl", "wkl"])
def test_extreme_scales_give_the_unscaled_estimate(name: str, scale: float) -> None:
    """x * 1e200 used to overflow the squared distances (NaN) and x * 1e-200 to underflow them (false ties)."""
    x, y = unit_sample()
    est = mibench.get_estimator(name)
    assert_same_estimate(est.estimate(x * scale, y * scale), est.estimate(x, y), scale)
    info = est.estimate_with_info(x * scale, y * scale).info  # entropies in the data's units
    unscaled_info = est.estimate_with_info(x, y).info
    for key, d in (("h_x", 2), ("h_y", 2), ("h_xy", 4)):
        assert info[key] == pytest.approx(unscaled_info[key] + d * math.log(scale), rel=1e-12)


@pytest.mark.parametrize("scale", EXACT_SCALES)
def test_entropies_of_extreme_scales_shift_by_d_log_scale(scale: float) -> None:
    x, _ = unit_sample()
    assert kl_entropy(x * scale) == pytest.approx(kl_entropy(x) + 2 * math.log(scale), rel=1e-12)
    assert weighted_kl_entropy(x * scale) == pytest.approx(weighted_kl_entropy(x) + 2 * math.log(scale), rel=1e-12)
