"""The Gaussian-channel truths: channel_mi against a naive implementation, quadrature against adaptive quad and
closed forms, limits, bounds, duplicated centres, and the honesty of the reported standard error.

Tolerances: a Monte-Carlo value with standard error SE is compared with a quadrature (error < 1e-12) within 5 SE
(a false alarm has probability ~6e-7); two Monte-Carlo values within 5 sqrt(SE1^2 + SE2^2). Quadratures agree with
adaptive ``scipy.integrate.quad`` at ``epsabs = 1e-14`` to 1e-12 (the rule's stated accuracy). Identities that hold
exactly in exact arithmetic (block independence, the shifted log-sum-exp, the naive formula on the same draws) are
checked to 1e-9 (rounding of sums of up to ~1e4 terms of size ~10).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from mibench.synthetic import mixture_truth
from mibench.synthetic.mixture_truth import (
    MonteCarloValue,
    channel_mi,
    channel_mi_quadrature,
    mixture_entropy_1d,
    product_channel_mi,
)

QUAD_TOL = 1e-12


def _within(a: MonteCarloValue, b: float, se_b: float = 0.0) -> bool:
    return abs(a.value - b) < 5 * math.hypot(a.stderr, se_b)


def _gaussian_entropy(s: float) -> float:
    return 0.5 * math.log(2 * math.pi * math.e * s * s)


# --------------------------------------------------------------------------------------------------------------
# Independent references
# --------------------------------------------------------------------------------------------------------------


def _naive_channel_mi(centres, s, labels, draws_per_centre, seed):
    """The same estimator written from the densities themselves: log phi, log g and log g_y by scipy's logsumexp
    over every input (no deduplication, no log-ratio algebra), on the same noise stream (the strata in the order
    of np.unique's distinct centres, m draws per input)."""
    c = np.asarray(centres, dtype=float).reshape(len(centres), -1)
    k, d = c.shape
    unique, inverse, counts = np.unique(c, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    z = np.random.default_rng(seed).standard_normal((k * draws_per_centre, d)) * s
    strata = np.repeat(np.arange(len(unique)), counts * draws_per_centre)
    t = unique[strata] + z

    def log_mix(points, members):
        sq = ((points[:, None, :] - c[None, members, :]) ** 2).sum(-1)
        return (
            special.logsumexp(-sq / (2 * s * s), axis=1)
            - math.log(members.sum())
            - d / 2 * math.log(2 * math.pi * s * s)
        )

    everyone = np.ones(k, dtype=bool)
    log_g = log_mix(t, everyone)
    if labels is None:
        log_phi = -(z**2).sum(1) / (2 * s * s) - d / 2 * math.log(2 * math.pi * s * s)
        return float(np.mean(log_phi - log_g))
    labels = np.asarray(labels)
    values = -log_g
    for label in np.unique(labels):
        share = np.bincount(inverse, weights=(labels == label).astype(float), minlength=len(unique)) / counts
        values = values + share[strata] * np.where(share[strata] > 0, log_mix(t, labels == label), 0.0)
    return float(np.mean(values))


def _entropy_by_adaptive_quad(points, s):
    """-int g log g by scipy.integrate.quad on the pieces between the points (epsabs 1e-14)."""
    p = np.asarray(points, dtype=float)

    def integrand(t):
        log_g = special.logsumexp(-0.5 * ((t - p) / s) ** 2) - math.log(p.size) - 0.5 * math.log(2 * math.pi * s * s)
        return -math.exp(log_g) * log_g

    cuts = np.unique(np.concatenate([p, [p.min() - 40 * s, p.max() + 40 * s]]))
    return sum(
        integrate.quad(integrand, a, b, epsabs=1e-14, epsrel=1e-13, limit=1000)[0] for a, b in itertools.pairwise(cuts)
    )


def _bpsk_mi(s):
    """X = +-1 through N(0, s^2): the posterior log-odds of t = 1 + s z is 2 t / s^2, so
    I = log 2 - E_z log(1 + exp(-2 (1 + s z) / s^2)) (a 1-D expectation in z, by adaptive quad)."""

    def integrand(z):
        return np.logaddexp(0.0, -2 * (1 + s * z) / s**2) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    return math.log(2) - integrate.quad(integrand, -40, 40, epsabs=1e-15, limit=500, points=[0.0, -1 / s])[0]


def _log_ratio_by_gauss_hermite(points, s, nodes=200):
    """I(X;T) = (1/k) sum_i E_z[log phi(z) - log g(c_i + z)] by Gauss-Hermite in z (the stratified form)."""
    p = np.asarray(points, dtype=float)
    x, w = np.polynomial.hermite.hermgauss(nodes)
    z = math.sqrt(2) * s * x
    t = p[:, None, None] + z[None, :, None]
    exponents = (z[None, :, None] ** 2 - (t - p[None, None, :]) ** 2) / (2 * s * s)
    f = math.log(p.size) - special.logsumexp(exponents, axis=2)
    return float(np.mean(f @ w) / math.sqrt(math.pi))


# --------------------------------------------------------------------------------------------------------------
# Monte Carlo: the implementation
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("labelled", [False, True])
def test_channel_mi_equals_the_naive_formula_on_the_same_draws(labelled):
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((30, 3))
    centres[10:15] = centres[0]  # repeats: one distinct centre of weight 6
    labels = rng.integers(0, 3, size=30) if labelled else None
    got = channel_mi(centres, 0.7, labels=labels, draws_per_centre=5, seed=11, block=17)
    assert got.draws == 150
    assert got.value == pytest.approx(_naive_channel_mi(centres, 0.7, labels, 5, 11), abs=1e-9)


@pytest.mark.parametrize("labelled", [False, True])
def test_the_value_does_not_depend_on_the_block_size_and_is_deterministic(labelled):
    centres = np.random.default_rng(1).uniform(-1, 1, size=(40, 2))
    labels = np.arange(40) % 2 if labelled else None
    values = {channel_mi(centres, 0.3, labels=labels, draws_per_centre=3, seed=5, block=b) for b in (1, 7, 64, 10_000)}
    assert len({round(v.value, 9) for v in values}) == 1
    assert channel_mi(centres, 0.3, labels=labels, seed=5) == channel_mi(centres, 0.3, labels=labels, seed=5)
    assert channel_mi(centres, 0.3, labels=labels, seed=5) != channel_mi(centres, 0.3, labels=labels, seed=6)


def test_the_shifted_log_sum_exp_gives_the_same_values(monkeypatch):
    # The max-shifted path (taken when |z|^2 / (2 s^2) could overflow exp, i.e. d in the thousands) is forced here.
    centres = np.random.default_rng(2).uniform(-1, 1, size=(25, 4))
    labels = np.arange(25) % 3
    plain = [channel_mi(centres, 0.2, labels=lab, seed=3) for lab in (None, labels)]
    monkeypatch.setattr(mixture_truth, "_OVERFLOW_GUARD", -1.0)
    shifted = [channel_mi(centres, 0.2, labels=lab, seed=3) for lab in (None, labels)]
    for a, b in zip(plain, shifted, strict=True):
        assert a.value == pytest.approx(b.value, abs=1e-9)
        assert a.stderr == pytest.approx(b.stderr, rel=1e-6)


def test_high_dimension_takes_the_shifted_path_without_overflow():
    # d = 3000: |z|^2 / (2 s^2) ~ 1500 > the guard, so exp would overflow unshifted. Four centres far apart
    # (distance ~ sqrt(2 d) / 2 >> s): the channel reveals X, I = log 4 up to exp(-d / 32)-small overlaps.
    centres = np.random.default_rng(4).choice([-0.5, 0.5], size=(4, 3000))
    got = channel_mi(centres, 1.0, draws_per_centre=4, seed=0)
    assert np.isfinite(got.value)
    assert got.value == pytest.approx(math.log(4), abs=1e-9)


# --------------------------------------------------------------------------------------------------------------
# Monte Carlo against quadrature and closed forms
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("s", [0.3, 1.0, 3.0])
def test_two_points_match_the_bpsk_formula_by_quadrature_and_by_monte_carlo(s):
    truth = _bpsk_mi(s)
    assert channel_mi_quadrature(np.array([-1.0, 1.0]), s) == pytest.approx(truth, abs=QUAD_TOL)
    assert _within(channel_mi(np.array([[-1.0], [1.0]]), s, draws_per_centre=20_000, seed=1), truth)


@pytest.mark.parametrize(("k", "s"), [(3, 0.2), (8, 0.1), (8, 1.0), (16, 0.05)])
def test_line_monte_carlo_matches_quadrature(k, s):
    points = np.linspace(-1, 1, k)
    truth = channel_mi_quadrature(points, s)
    assert _within(channel_mi(points[:, None], s, draws_per_centre=2000, seed=k), truth)
    labels = (points > 0).astype(int)
    truth_y = channel_mi_quadrature(points, s, labels=labels)
    assert _within(channel_mi(points[:, None], s, labels=labels, draws_per_centre=2000, seed=k), truth_y)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_cube_corners_monte_carlo_matches_the_product_formula(d):
    s = 0.8
    corners = np.array(np.meshgrid(*[[-1.0, 1.0]] * d, indexing="ij")).reshape(d, -1).T
    truth = product_channel_mi(np.array([-1.0, 1.0]), d, s)
    assert truth == pytest.approx(d * _bpsk_mi(s), abs=d * QUAD_TOL)
    assert _within(channel_mi(corners, s, draws_per_centre=4000 // 2**d, seed=d), truth)


def test_duplicated_centres_count_with_their_multiplicity():
    # X uniform on 3 inputs with centres (0, 0, 1): I(X;T) = I(C;T) with P(C=0) = 2/3.
    points = np.array([0.0, 0.0, 1.0])
    s = 0.4
    truth = channel_mi_quadrature(points, s)
    weighted = mixture_entropy_1d(np.array([0.0, 1.0]), s, weights=np.array([2.0, 1.0])) - _gaussian_entropy(s)
    assert truth == pytest.approx(weighted, abs=QUAD_TOL)
    assert truth < channel_mi_quadrature(np.array([0.0, 1.0]), s)  # a less uniform C carries less
    assert _within(channel_mi(points[:, None], s, draws_per_centre=20_000, seed=3), truth)
    # Every centre twice: the same law of T, the same MI.
    doubled = np.repeat(np.linspace(-1, 1, 5), 2)
    assert channel_mi_quadrature(doubled, s) == pytest.approx(
        channel_mi_quadrature(np.linspace(-1, 1, 5), s), abs=1e-13
    )
    a = channel_mi(doubled[:, None], s, draws_per_centre=2000, seed=1)
    b = channel_mi(np.linspace(-1, 1, 5)[:, None], s, draws_per_centre=4000, seed=2)
    assert a.draws == b.draws == 20_000
    assert _within(a, b.value, b.stderr)


def test_labels_identifying_the_input_or_constant_give_i_x_t_or_zero():
    points = np.linspace(-1, 1, 6)
    s = 0.5
    assert channel_mi_quadrature(points, s, labels=np.arange(6)) == pytest.approx(
        channel_mi_quadrature(points, s), abs=QUAD_TOL
    )
    assert channel_mi_quadrature(points, s, labels=np.zeros(6, dtype=int)) == 0.0
    constant = channel_mi(points[:, None], s, labels=np.zeros(6, dtype=int), seed=0)
    assert constant.value == pytest.approx(0.0, abs=1e-12)
    identity = channel_mi(points[:, None], s, labels=np.arange(6), seed=0)
    assert identity.value == pytest.approx(channel_mi(points[:, None], s, seed=0).value, abs=1e-9)


# --------------------------------------------------------------------------------------------------------------
# Quadrature
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "s"), [(2, 0.005), (3, 0.03), (8, 0.1), (16, 1.0), (32, 0.03), (32, 10.0)])
def test_mixture_entropy_matches_adaptive_quad(k, s):
    points = np.linspace(-1, 1, k)
    assert mixture_entropy_1d(points, s) == pytest.approx(_entropy_by_adaptive_quad(points, s), abs=QUAD_TOL)


@pytest.mark.parametrize(("k", "s"), [(4, 0.5), (8, 1.0), (16, 3.0)])
def test_quadrature_matches_the_gauss_hermite_log_ratio_form(k, s):
    # The stratified form integrated in z instead of -g log g in t; Gauss-Hermite converges quickly where the
    # bumps overlap (s above the spacing), which is where these cases sit.
    points = np.linspace(-1, 1, k)
    assert channel_mi_quadrature(points, s) == pytest.approx(_log_ratio_by_gauss_hermite(points, s), abs=1e-10)


def test_small_and_large_noise_limits():
    points = np.array([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0])  # 5 distinct centres, one doubled
    labels = np.array([0, 0, 1, 1, 1, 2])
    # s -> 0: T reveals the centre: I(X;T) = H(C) (not log 6), I(T;Y) = H(Y); bumps 0.5 apart at s = 1e-3 overlap
    # by exp(-(0.25 / 1e-3)^2 / 2) = 0 in double precision.
    h_c = -sum(p * math.log(p) for p in (1 / 6, 1 / 6, 2 / 6, 1 / 6, 1 / 6))
    h_y = -sum(p * math.log(p) for p in (2 / 6, 3 / 6, 1 / 6))
    assert channel_mi_quadrature(points, 1e-3) == pytest.approx(h_c, abs=QUAD_TOL)
    assert channel_mi_quadrature(points, 1e-3, labels=labels) == pytest.approx(h_y, abs=QUAD_TOL)
    sharp = channel_mi(points[:, None], 1e-3, seed=0)
    assert sharp.value == pytest.approx(h_c, abs=1e-12) and sharp.stderr < 1e-12
    assert channel_mi(points[:, None], 1e-3, labels=labels, seed=0).value == pytest.approx(h_y, abs=1e-12)
    # s -> infinity: 0, below the Gaussian bound 1/2 log(1 + Var(C) / s^2) (Gaussian T maximises h(T)).
    var = float(np.var(points))
    for s in (1.0, 10.0, 100.0, 1e4):
        value = channel_mi_quadrature(points, s)
        assert 0.0 <= value <= 0.5 * math.log1p(var / s**2) + QUAD_TOL
    assert channel_mi_quadrature(points, 1e4) < 1e-8


def test_every_value_respects_the_entropy_and_gaussian_bounds():
    rng = np.random.default_rng(0)
    centres = rng.uniform(-1, 1, size=(64, 3))
    eig = np.linalg.eigvalsh(np.cov(centres.T, bias=True))
    for s in (0.05, 0.3, 1.0, 3.0):
        got = channel_mi(centres, s, draws_per_centre=16, seed=1)
        gaussian_bound = 0.5 * float(np.sum(np.log1p(eig / s**2)))
        assert got.value < min(math.log(64), gaussian_bound) + 5 * got.stderr


# --------------------------------------------------------------------------------------------------------------
# The standard error is honest
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("labelled", [False, True])
def test_reported_stderr_matches_the_spread_over_seeds(labelled):
    # 30 seeds: (n - 1) S^2 / SE^2 is chi-square with 29 degrees of freedom when SE is the true standard error;
    # accept between its 1e-4 and 1 - 1e-4 quantiles (the reported SE^2, averaged over 30 seeds with 4000 draws
    # each, is itself accurate to a few per cent). The mean must match the quadrature within 5 SE / sqrt(30).
    points = np.linspace(-1, 1, 8)
    s = 0.3
    labels = (points > 0).astype(int) if labelled else None
    truth = channel_mi_quadrature(points, s, labels=labels)
    runs = [channel_mi(points[:, None], s, labels=labels, draws_per_centre=500, seed=seed) for seed in range(30)]
    values = np.array([r.value for r in runs])
    se2 = float(np.mean([r.stderr**2 for r in runs]))
    statistic = 29 * float(np.var(values, ddof=1)) / se2
    assert stats.chi2.ppf(1e-4, 29) < statistic < stats.chi2.ppf(1 - 1e-4, 29)
    assert abs(values.mean() - truth) < 5 * math.sqrt(se2 / 30)


# --------------------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------------------


def test_bad_arguments_are_refused():
    good = np.zeros((3, 2))
    with pytest.raises(ValueError, match="centres"):
        channel_mi(np.zeros((2, 2, 2)), 1.0)
    with pytest.raises(ValueError, match="finite"):
        channel_mi(np.array([[np.nan]]), 1.0)
    with pytest.raises(ValueError, match="noise_std"):
        channel_mi(good, 0.0)
    with pytest.raises(ValueError, match="draws_per_centre"):
        channel_mi(good, 1.0, draws_per_centre=1)
    with pytest.raises(ValueError, match="block"):
        channel_mi(good, 1.0, block=0)
    with pytest.raises(ValueError, match="labels"):
        channel_mi(good, 1.0, labels=np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="labels"):
        channel_mi(good, 1.0, labels=np.zeros(3))
    with pytest.raises(ValueError, match="weights"):
        mixture_entropy_1d(np.zeros(2), 1.0, weights=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="dim"):
        product_channel_mi(np.zeros(2), 0, 1.0)
