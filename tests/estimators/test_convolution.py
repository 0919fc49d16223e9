"""Gaussian-convolution estimator: the draws against a naive reference, exact truths (quadrature, cube corners, the
small-noise limit, labels), the with-replacement bias and its convergence, the reported standard error against the
spread over seeds, memory, validation, the conformance kit and the runner's channel seam.

Every tolerance is statistical: 4 reported standard errors for one estimate (two-sided level 6e-5, once and for all
since the seeds are fixed), chi-square quantiles at level 1e-3 for a variance ratio, or floating-point rounding for
identities. Truths come from scipy quadrature written here, independently of mibench.
"""

from __future__ import annotations

import itertools
import json
import math
import tracemalloc
from functools import partial

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp

import mibench
from mibench.estimators import convolution as conv
from mibench.estimators.convolution import (
    GaussianConvolution,
    control_variate_mean,
    convolved_draws,
)
from mibench.interface import Channel, Task
from mibench.testing import check_estimator

Z_LIMIT = 4.0  # |estimate - truth| <= 4 reported SEs

# --------------------------------------------------------------------------------------------------------------
# Independent references
# --------------------------------------------------------------------------------------------------------------


def mixture_entropy_1d(points, b: float, weights=None) -> float:
    """h of sum_c w_c N(c, b^2) in nats, by adaptive quadrature (breakpoints at the centres, +-14 b tails)."""
    points = np.asarray(points, dtype=float)
    w = np.full(points.size, 1.0 / points.size) if weights is None else np.asarray(weights, dtype=float)

    def integrand(t: float) -> float:
        g = float(np.sum(w * stats.norm.pdf(t, points, b)))
        return -g * math.log(g) if g > 0 else 0.0

    lo, hi = points.min() - 14 * b, points.max() + 14 * b
    value, _ = integrate.quad(integrand, lo, hi, points=np.unique(points), limit=1000, epsabs=1e-13, epsrel=1e-12)
    return value


def noise_entropy(d: int, b: float) -> float:
    return 0.5 * d * math.log(2 * math.pi * math.e * b**2)


def naive_log_g(queries: np.ndarray, centres: np.ndarray, b: float) -> np.ndarray:
    """log of (1/n) sum_k N(q; S_k, b^2 I) with the full (queries x centres) matrix of exact differences."""
    d = centres.shape[1]
    sq = ((queries[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return logsumexp(-sq / (2 * b**2), axis=1) - math.log(len(centres)) - 0.5 * d * math.log(2 * math.pi * b**2)


def documented_noise(seed: int, n: int, draws: int, d: int, stage: int = 0) -> np.ndarray:
    """The standard-normal draws (n, draws, d) the module docstring promises: chunk c of CHUNK_CENTRES centres from
    SeedSequence(seed, spawn_key=(stage, c))."""
    chunks = []
    for c, lo in enumerate(range(0, n, conv.CHUNK_CENTRES)):
        hi = min(n, lo + conv.CHUNK_CENTRES)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stage, c)))
        chunks.append(rng.standard_normal((hi - lo, draws, d)))
    return np.concatenate(chunks)


def cube_corners(d: int) -> np.ndarray:
    return np.array(list(itertools.product([-1.0, 1.0], repeat=d)))


def within(value: float, truth: float, stderr: float, z: float = Z_LIMIT) -> bool:
    return abs(value - truth) <= z * stderr


# --------------------------------------------------------------------------------------------------------------
# The draws
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_labels", [False, True])
def test_draws_match_the_naive_mixture_density(with_labels: bool) -> None:
    rng = np.random.default_rng(3)
    n, d, draws, b = 150, 3, 4, 0.6  # 150 centres: two full chunks and a ragged one
    centres = rng.standard_normal((n, d)) * np.array([1.0, 2.0, 0.5]) + 5.0
    labels = rng.integers(0, 3, size=n) if with_labels else None
    out = convolved_draws(centres, b, draws, 11, labels=labels)
    eps = documented_noise(11, n, draws, d)
    queries = (centres[:, None, :] + b * eps).reshape(-1, d)
    np.testing.assert_allclose(out.half_sq_noise, 0.5 * (eps**2).sum(axis=2), rtol=1e-14)
    log_g = -math.log(n) - 0.5 * d * math.log(2 * math.pi * b**2) - out.half_sq_noise + out.log_sum
    np.testing.assert_allclose(log_g.reshape(-1), naive_log_g(queries, centres, b), rtol=0, atol=1e-10)
    if with_labels:
        own = np.repeat(labels, draws)
        for y in range(3):
            members = centres[labels == y]
            rows = own == y
            expected = naive_log_g(queries[rows], members, b)
            got = -math.log(len(members)) - 0.5 * d * math.log(2 * math.pi * b**2) - out.half_sq_noise
            got = (got + out.log_sum_own_class).reshape(-1)[rows]
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    else:
        assert out.log_sum_own_class is None


@pytest.mark.parametrize("with_labels", [False, True])
def test_rows_with_huge_exponents_take_the_exact_path(with_labels: bool) -> None:
    """In d = 1600, C = |eps|^2 / 2 ~ 800 > WIDE_EXPONENT. Centre 1 is placed exactly where the first draw of
    centre 0 lands, so that query's term of centre 1 is e^C relative to its own, which overflows a double: the
    exact max-shifted path must agree with the naive log-sum-exp."""
    n, d, draws, b = 4, 1600, 3, 0.05
    eps = documented_noise(2, n, draws, d)
    centres = np.random.default_rng(5).standard_normal((n, d)) * 0.02
    centres[1] = centres[0] + b * eps[0, 0]
    labels = np.array([0, 1, 1, 0]) if with_labels else None
    out = convolved_draws(centres, b, draws, 2, labels=labels)
    assert (out.half_sq_noise > conv.WIDE_EXPONENT).all()
    queries = (centres[:, None, :] + b * eps).reshape(-1, d)
    log_g = -math.log(n) - 0.5 * d * math.log(2 * math.pi * b**2) - out.half_sq_noise + out.log_sum
    reference = naive_log_g(queries, centres, b)
    assert reference[0] > naive_log_g(queries[:1], centres[:1], b)[0] + 700  # centre 1 dominates by e^800
    np.testing.assert_allclose(log_g.reshape(-1), reference, rtol=1e-12, atol=1e-9)
    if with_labels:
        own = np.repeat(labels, draws)
        for y in (0, 1):
            rows = own == y
            got = -math.log(2) - 0.5 * d * math.log(2 * math.pi * b**2) - out.half_sq_noise + out.log_sum_own_class
            expected = naive_log_g(queries[rows], centres[labels == y], b)
            np.testing.assert_allclose(got.reshape(-1)[rows], expected, rtol=1e-12, atol=1e-9)


def test_block_size_and_threads_change_nothing_but_rounding() -> None:
    rng = np.random.default_rng(8)
    centres = rng.standard_normal((300, 4))
    labels = rng.integers(0, 2, size=300)
    reference = convolved_draws(centres, 0.4, 5, 9, labels=labels, threads=1)
    for block, threads in [(1, 2), (7, 1), (10_000, 2)]:
        other = convolved_draws(centres, 0.4, 5, 9, labels=labels, block=block, threads=threads)
        assert np.array_equal(other.half_sq_noise, reference.half_sq_noise)  # the same draws
        np.testing.assert_allclose(other.log_sum, reference.log_sum, rtol=0, atol=1e-12)
        np.testing.assert_allclose(other.log_sum_own_class, reference.log_sum_own_class, rtol=0, atol=1e-12)


def test_control_variate_mean_is_the_pooled_regression() -> None:
    rng = np.random.default_rng(1)
    control = rng.chisquare(3, size=(40, 6)) / 2
    values = 2.0 + rng.standard_normal((40, 1)) - 0.7 * control + 0.1 * rng.standard_normal((40, 6))
    plain = control_variate_mean(values, control, 1.5, adjust=False)
    assert plain.value == pytest.approx(values.mean(), abs=1e-15) and plain.slope == 0.0
    assert plain.stderr == pytest.approx(math.sqrt(values.var(axis=1, ddof=1).sum() / (40**2 * 6)), rel=1e-12)
    adjusted = control_variate_mean(values, control, 1.5, adjust=True)
    # the slope is the within-centre least-squares fit, fitted here with the centres as dummy variables
    design = np.column_stack([np.kron(np.eye(40), np.ones((6, 1))), control.reshape(-1)])
    coef, *_ = np.linalg.lstsq(design, values.reshape(-1), rcond=None)
    assert adjusted.slope == pytest.approx(coef[-1], rel=1e-10)
    assert adjusted.value == pytest.approx(values.mean() - coef[-1] * (control.mean() - 1.5), rel=1e-12)
    residual = values - coef[-1] * control
    pooled = np.sum((residual - residual.mean(axis=1, keepdims=True)) ** 2) / (40 * 5 - 1)
    assert adjusted.stderr == pytest.approx(math.sqrt(pooled / (40 * 6)), rel=1e-10)
    assert adjusted.stderr < 0.2 * plain.stderr


# --------------------------------------------------------------------------------------------------------------
# Exact truths: centres that are the whole finite support, each once
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("control_variate", [True, False])
@pytest.mark.parametrize("b", [0.3, 0.7, 2.0])
def test_points_on_a_line_against_quadrature(b: float, control_variate: bool) -> None:
    points = np.array([0.0, 1.0, 2.5])
    truth = mixture_entropy_1d(points, b) - noise_entropy(1, b)
    result = GaussianConvolution(noise_std=b, control_variate=control_variate, seed=1).estimate_with_info(
        np.arange(3), points
    )
    assert result.info["target_met"] and result.info["stderr"] <= 0.01
    assert within(result.value, truth, result.info["stderr"]), (result.value, truth, result.info["stderr"])
    assert result.info["entropy"] == pytest.approx(result.value + noise_entropy(1, b), abs=1e-12)


@pytest.mark.parametrize("d", [3, 6])
def test_cube_corners_give_d_times_the_binary_channel(d: int) -> None:
    """The uniform mixture over the corners of {-1, 1}^d is the product of d two-point mixtures: I = d I_1."""
    b = 0.8
    truth = d * (mixture_entropy_1d([-1.0, 1.0], b) - noise_entropy(1, b))
    corners = cube_corners(d)
    for control_variate in (True, False):
        est = GaussianConvolution(noise_std=b, control_variate=control_variate, target_stderr=0.005, seed=d)
        result = est.estimate_with_info(np.zeros(len(corners)), corners)
        assert within(result.value, truth, result.info["stderr"]), (control_variate, result.value, truth)


def test_small_noise_limit_is_the_entropy_of_the_distinct_centres() -> None:
    """As b -> 0 the components separate and I(X;T) -> H of the empirical law of the centres: log 5 for five
    points listed four times each; for unequal multiplicities, -sum (k/n) log(k/n)."""
    grid = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    even = np.repeat(grid, 4, axis=0)
    uneven = np.repeat(grid, [1, 2, 3, 4, 10], axis=0)
    p = np.array([1, 2, 3, 4, 10]) / 20
    for centres, truth in ((even, math.log(5)), (uneven, float(-np.sum(p * np.log(p))))):
        exact = GaussianConvolution(noise_std=1e-3, seed=0).estimate_with_info(np.zeros(20), centres)
        # with the control variate every draw gives log n - log(multiplicity) exactly: zero Monte-Carlo error
        assert exact.value == pytest.approx(truth, abs=1e-9) and exact.info["stderr"] < 1e-9
        plain = GaussianConvolution(noise_std=1e-3, control_variate=False, seed=0).estimate_with_info(
            np.zeros(20), centres
        )
        assert within(plain.value, truth, plain.info["stderr"])


def test_labels_against_quadrature() -> None:
    points = np.array([0.0, 1.0, 2.0, 3.0, 3.5])
    labels = np.array([0, 0, 1, 1, 1])
    b = 0.7
    conditional = 0.4 * mixture_entropy_1d(points[:2], b) + 0.6 * mixture_entropy_1d(points[2:], b)
    truth = mixture_entropy_1d(points, b) - conditional
    for control_variate in (True, False):
        est = GaussianConvolution(noise_std=b, target="labels", control_variate=control_variate, seed=4)
        result = est.estimate_with_info(points, labels)
        assert within(result.value, truth, result.info["stderr"]), (control_variate, result.value, truth)
        info = result.info
        assert info["n_classes"] == 2 and info["label_entropy"] == pytest.approx(
            -(0.4 * math.log(0.4) + 0.6 * math.log(0.6))
        )
        assert info["entropy"] - info["conditional_entropy"] == pytest.approx(result.value, abs=1e-12)
        assert within(info["entropy"], mixture_entropy_1d(points, b), info["entropy_stderr"])


def test_labels_in_the_small_noise_limit_give_the_label_entropy() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((6, 2))
    labels = np.array([[0], [1], [1], [2], [2], [2]])
    p = np.array([1, 2, 3]) / 6
    result = GaussianConvolution(noise_std=1e-4, target="labels", seed=0).estimate_with_info(centres, labels)
    assert result.value == pytest.approx(float(-np.sum(p * np.log(p))), abs=1e-9)


# --------------------------------------------------------------------------------------------------------------
# Centres sampled with replacement: the plug-in of the empirical mixture, biased, converging
# --------------------------------------------------------------------------------------------------------------


def test_sampled_centres_estimate_the_empirical_mixture_exactly() -> None:
    support = np.array([0.0, 1.0, 2.5])
    b = 0.5
    centres = np.random.default_rng(12).choice(support, size=300)
    weights = np.array([np.mean(centres == c) for c in support])
    target = mixture_entropy_1d(support, b, weights) - noise_entropy(1, b)
    truth = mixture_entropy_1d(support, b) - noise_entropy(1, b)
    result = GaussianConvolution(noise_std=b, seed=3, target_stderr=0.002).estimate_with_info(np.zeros(300), centres)
    assert within(result.value, target, result.info["stderr"])
    assert abs(target - truth) > Z_LIMIT * result.info["stderr"]  # the sample's own mixture, not the population's


def test_sampled_centres_converge_with_the_delta_method_bias_and_spread() -> None:
    """Centres drawn i.i.d. uniform on a finite support c_1..c_k: the plug-in target h(sum_c w_c phi_c) with the
    empirical weights w has, to order 1/n, mean h* + (1 - sum_c p_c int phi_c^2 / g) / (2n) (<= h*: entropy is
    concave) and variance Var_c[int phi_c log g] / n (delta method over the multinomial weights). The mean over
    20 independent samples must sit within 4 standard errors of that mean."""
    support = np.array([0.0, 1.0, 2.5])
    b, n, seeds = 0.5, 1000, 20
    p = np.full(3, 1 / 3)

    def g(t: float) -> float:
        return float(np.sum(p * stats.norm.pdf(t, support, b)))

    def quad(f) -> float:
        return integrate.quad(f, -8, 10.5, points=support, limit=1000, epsabs=1e-13)[0]

    cross = np.array([quad(lambda t, c=c: stats.norm.pdf(t, c, b) * math.log(g(t))) for c in support])
    overlap = np.array([quad(lambda t, c=c: stats.norm.pdf(t, c, b) ** 2 / g(t)) for c in support])
    truth = mixture_entropy_1d(support, b) - noise_entropy(1, b)
    bias = (1.0 - float(np.sum(p * overlap))) / (2 * n)
    spread = math.sqrt(float(np.var(cross)) / n)
    estimates, stderrs = [], []
    for seed in range(seeds):
        centres = np.random.default_rng(100 + seed).choice(support, size=n)
        result = GaussianConvolution(noise_std=b, seed=seed).estimate_with_info(np.zeros(n), centres)
        estimates.append(result.value)
        stderrs.append(result.info["stderr"])
    mean_se = math.sqrt((spread**2 + float(np.mean(np.square(stderrs)))) / seeds)
    assert bias < 0
    assert abs(np.mean(estimates) - (truth + bias)) <= Z_LIMIT * mean_se, (np.mean(estimates), truth, bias, mean_se)


# --------------------------------------------------------------------------------------------------------------
# The reported standard error and the choice of draws
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("control_variate", [True, False])
def test_reported_stderr_matches_the_spread_over_seeds(control_variate: bool) -> None:
    """40 estimator seeds on one fixed sample: Var(estimates) / mean(SE^2) ~ chi2(39) / 39."""
    corners = cube_corners(4)
    centres = corners[np.random.default_rng(0).integers(0, 16, size=200)]
    estimates, variances = [], []
    for seed in range(40):
        est = GaussianConvolution(noise_std=0.9, draws=6, control_variate=control_variate, seed=seed)
        result = est.estimate_with_info(np.zeros(200), centres)
        estimates.append(result.value)
        variances.append(result.info["stderr"] ** 2)
    ratio = float(np.var(estimates, ddof=1)) / float(np.mean(variances))
    low, high = stats.chi2.ppf([0.0005, 0.9995], 39) / 39
    assert low <= ratio <= high, ratio


def test_automatic_draws_reach_the_target_and_stop_at_the_cap(monkeypatch) -> None:
    rng = np.random.default_rng(2)
    centres = rng.standard_normal((500, 3))
    coarse = GaussianConvolution(noise_std=0.5, target_stderr=0.02, seed=1).estimate_with_info(np.zeros(500), centres)
    fine = GaussianConvolution(noise_std=0.5, target_stderr=0.005, seed=1).estimate_with_info(np.zeros(500), centres)
    for result, target in ((coarse, 0.02), (fine, 0.005)):
        assert result.info["target_met"] and result.info["stderr"] <= target
        assert result.info["target_stderr"] == target
    assert fine.info["draws"] > coarse.info["draws"] >= 2
    explicit = GaussianConvolution(noise_std=0.5, draws=3, seed=1).estimate_with_info(np.zeros(500), centres)
    assert explicit.info["draws"] == 3 and "target_met" not in explicit.info
    monkeypatch.setattr(conv, "MAX_AUTO_QUERIES", 1500)
    capped = GaussianConvolution(noise_std=0.5, target_stderr=1e-4, seed=1).estimate_with_info(np.zeros(500), centres)
    assert capped.info["draws"] == 3 and capped.info["target_met"] is False


def test_same_seed_same_value_other_seed_other_draws() -> None:
    centres = np.random.default_rng(4).standard_normal((100, 2))
    a = GaussianConvolution(noise_std=0.3, seed=5).estimate(np.zeros(100), centres)
    assert GaussianConvolution(noise_std=0.3, seed=5).estimate(np.zeros(100), centres) == a
    assert GaussianConvolution(noise_std=0.3, seed=6).estimate(np.zeros(100), centres) != a


# --------------------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------------------


def test_memory_is_blocked_not_n_by_n_by_draws(monkeypatch) -> None:
    """n = 3000 centres, 4 draws: one n x n x m array of exponents would be 288 MB and one n x n matrix 72 MB; the
    blocked computation needs ``threads x block x n`` doubles of work buffer plus O(n m d) per-draw arrays."""
    monkeypatch.setenv("MIBENCH_WORKER_THREADS", "2")
    n, d, draws, block = 3000, 2, 4, 32
    centres = np.random.default_rng(0).standard_normal((n, d))
    est = GaussianConvolution(noise_std=0.2, draws=draws, block=block, seed=0)
    tracemalloc.start()
    try:
        est.estimate(np.zeros(n), centres)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    work = 2 * block * n * 8  # two threads' buffers
    per_draw = n * draws * 8 * 8  # a few (n, m) arrays
    per_chunk = 2 * conv.CHUNK_CENTRES * draws * (d + 2) * 8 * 4
    allowed = 2 * (work + per_draw + per_chunk) + 2**20
    assert peak <= allowed < n * n * 8 / 8, (peak, allowed)


# --------------------------------------------------------------------------------------------------------------
# Parameters, validation, conformance
# --------------------------------------------------------------------------------------------------------------


def test_parameters_are_stored_verbatim_and_it_is_registered() -> None:
    est = mibench.get_estimator("gaussian-convolution", noise_std=0.1, draws="many")
    assert isinstance(est, GaussianConvolution)
    assert est.get_params() == {
        "noise_std": 0.1,
        "target": "input",
        "draws": "many",
        "target_stderr": 0.01,
        "control_variate": True,
        "block": None,
        "seed": None,
    }
    tags = GaussianConvolution.tags
    assert tags.white_box and tags.channel_only and tags.stochastic
    assert tags.task_context == ("noise_std", "target")


def test_without_a_noise_level_it_says_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"pass noise_std=b .* or run it on a noisy-channel task"):
        GaussianConvolution().estimate(np.zeros(10), np.arange(10.0))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"noise_std": 0.0}, "noise_std must be a finite number > 0"),
        ({"noise_std": float("nan")}, "noise_std must be"),
        ({"noise_std": True}, "noise_std must be"),
        ({"target": "output"}, "unknown target 'output'"),
        ({"draws": 1}, r"draws must be an integer >= 2"),
        ({"draws": 2.5}, r"draws must be an integer >= 2"),
        ({"target_stderr": 0}, "target_stderr must be a finite number > 0"),
        ({"control_variate": "yes"}, "control_variate must be True or False"),
        ({"block": 0}, r"block must be an integer >= 1"),
        ({"seed": -1}, r"seed must be an integer >= 0"),
    ],
)
def test_bad_parameters(params: dict, message: str) -> None:
    est = GaussianConvolution(**{"noise_std": 0.5, **params})
    with pytest.raises(ValueError, match=message):
        est.estimate(np.zeros(10), np.arange(10.0))


def test_bad_input() -> None:
    est = GaussianConvolution(noise_std=0.5, seed=0)
    with pytest.raises(ValueError, match="same number of samples"):
        est.estimate(np.zeros(10), np.arange(9.0))
    with pytest.raises(ValueError, match="NaN or infinite"):
        est.estimate(np.zeros(3), np.array([0.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="too few samples"):
        est.estimate(np.zeros(1), np.zeros(1))
    labels = GaussianConvolution(noise_std=0.5, target="labels", seed=0)
    with pytest.raises(ValueError, match="needs integer class labels"):
        labels.estimate(np.arange(4.0), np.array([0.0, 0.5, 1.0, 1.0]))
    assert math.isfinite(labels.estimate(np.arange(4.0), np.array([0.0, 1.0, 1.0, 0.0])))  # integer-valued floats


def test_conformance_kit() -> None:
    """With a noise level every check passes but the two that ask for I(x;y) of a generic sample; with the
    defaults (noise_std=None) the declared failures are the ones that need an estimate."""
    results = check_estimator(GaussianConvolution(noise_std=0.5))
    failing = {name for name, status in results.items() if status.startswith("xfail")}
    assert failing == {"near_zero_on_independent_data", "gaussian_accuracy"}, results
    assert not any(status.startswith("fail") for status in results.values())
    defaults = check_estimator("gaussian-convolution")
    assert {name for name, status in defaults.items() if status == "pass"} == {
        "tags_valid",
        "params_round_trip",
        "nan_raises",
        "too_few_samples_raise",
    }


def test_the_command_line_takes_the_noise_level_as_a_parameter(tmp_path) -> None:
    from click.testing import CliRunner

    from mibench.cli import main

    points = np.array([0.0, 1.0, 2.5])
    table = np.column_stack([np.arange(3.0), points])
    np.savetxt(tmp_path / "s.csv", table, delimiter=",", header="x,s", comments="")
    args = ["estimate", str(tmp_path / "s.csv"), "-e", "gaussian-convolution", "-p", "noise_std=0.7", "-p", "seed=1"]
    args += ["--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    value = json.loads(result.output)["mi_nats"]
    assert value == GaussianConvolution(noise_std=0.7, seed=1).estimate(np.arange(3.0), points)
    missing = CliRunner().invoke(main, ["estimate", str(tmp_path / "s.csv"), "-e", "gaussian-convolution"])
    assert missing.exit_code != 0 and "noise_std" in missing.output


# --------------------------------------------------------------------------------------------------------------
# The runner: clean rows and the channel's noise level and target
# --------------------------------------------------------------------------------------------------------------


def _symbols_on_a_line(n: int, rng: np.random.Generator, with_labels: bool) -> tuple[np.ndarray, np.ndarray]:
    """X uniform on {0, 1, 2}; S = 1.5 X. Input target: (X, S); labels target: (S, X mod 2)."""
    x = rng.integers(0, 3, size=n)
    clean = 1.5 * x.astype(float)
    return (clean, x % 2) if with_labels else (x.astype(float), clean)


def _channel_tasks() -> dict[str, Task]:
    tasks = {}
    for target in ("input", "labels"):
        channel = Channel(0.5, target, partial(_symbols_on_a_line, with_labels=target == "labels"))
        task_id = f"toy-line-channel-{target}"
        tasks[task_id] = Task(task_id, "toy-line-channel", 1, 1, mi=0.5, sampler=channel.sampler(), channel=channel)
    return tasks


def test_the_runner_passes_clean_rows_and_the_channels_noise_level(tmp_path, monkeypatch) -> None:
    from mibench import resolver
    from mibench.runner import ResultsStore, run_suite
    from mibench.runner.worker import build_estimator
    from mibench.suites import EstimatorSpec, Suite

    toys = _channel_tasks()
    real = resolver.resolve_task
    monkeypatch.setattr(
        resolver, "resolve_task", lambda task_id, records=None: toys.get(task_id) or real(task_id, records)
    )
    suite = Suite(
        name="convolution-channels",
        tasks=(*toys, "gaussian-pairs-1x1-rho0.75"),
        estimators=(EstimatorSpec("gaussian-convolution"), EstimatorSpec("gaussian")),
        sample_sizes=(60,),
        repetitions=1,
    )
    summary = run_suite(suite, store=tmp_path / "s.sqlite", executor="inline", progress=False)
    assert summary.n_jobs == 5 and summary.counts["ok"] == 5  # no gaussian-convolution job on the Gaussian task
    with ResultsStore(tmp_path / "s.sqlite") as store:
        frame = store.to_dataframe().set_index(["task_id", "estimator"])
    for task_id, task in toys.items():
        row = frame.loc[(task_id, "gaussian-convolution")]
        info = json.loads(row["info"])
        target = task.channel.target
        assert info["white_box"] is True and info["task_context"] == {"noise_std": 0.5, "target": target}
        assert info["noise_std"] == 0.5 and info["target"] == target
        estimator, _ = build_estimator("gaussian-convolution", {}, int(row["seed"]), task.context)
        assert row["estimate"] == estimator.estimate(*task.sample_clean(60, int(row["seed"])))
    assert ("gaussian-pairs-1x1-rho0.75", "gaussian-convolution") not in frame.index
