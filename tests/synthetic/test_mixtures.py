"""Mixture tasks: Monte-Carlo truths against quadratures and recomputation, zero correlation, laws, bad parameters.

Tolerances: a stored Monte-Carlo truth with standard error SE is compared with a quadrature (error < 1e-6, checked
by refining it) within 5 SE, and with an independent recomputation (standard error SE') within
5 sqrt(SE^2 + SE'^2); either false alarm has probability ~6e-7 per comparison.
"""

from __future__ import annotations

import json
import math
import pickle
import time

import numpy as np
import pytest
from scipy import integrate, special, stats

from mibench.synthetic.mixtures import (
    PRECOMPUTED,
    ParabolaMixture,
    ScaleMixture,
    ShellsMixture,
    XMixture,
    _catalogue_models,
    catalogue_tasks,
    compute_truth,
    from_id,
    log_sphere_mgf,
    parabola_mixture,
    scale_mixture,
    shells,
    x_mixture,
)

CATALOGUE = list(catalogue_tasks())


def _within(a: float, se_a: float, b: float, se_b: float = 0.0) -> bool:
    return abs(a - b) < 5 * math.hypot(se_a, se_b)


# --------------------------------------------------------------------------------------------------------------
# The stored truths
# --------------------------------------------------------------------------------------------------------------


def _single_pair(model):
    # The table holds the X mixture for one pair; an n-pair task's truth is n times that entry.
    return XMixture(model.rho) if isinstance(model, XMixture) else model


def test_precomputed_table_matches_the_catalogue_models():
    listed = _catalogue_models()
    assert set(PRECOMPUTED) == {model for model, _, _ in listed}
    for model, n_points, seed in listed:
        truth = PRECOMPUTED[model]
        assert (truth.n_points, truth.seed) == (n_points, seed)
        assert 0 < truth.stderr < 2e-4
    for task in CATALOGUE:
        assert 0 < task.mi_stderr < 1e-3  # the brief's requirement, five X pairs included
        assert task.mi > 20 * task.mi_stderr  # clearly positive
        stored = PRECOMPUTED[_single_pair(task.sampler)]
        assert (task.params["mc_points"], task.params["mc_seed"]) == (stored.n_points, stored.seed)


@pytest.mark.parametrize(("model", "n_points", "seed"), _catalogue_models(), ids=lambda v: repr(v))
def test_recomputation_with_another_seed_agrees(model, n_points, seed):
    value, stderr = compute_truth(model, 200_000, seed=10_000 + seed)
    stored = PRECOMPUTED[model]
    assert _within(stored.value, stored.stderr, value, stderr)


def test_compute_truth_is_reproducible_and_merges_chunks(monkeypatch):
    import mibench.synthetic.mixtures as mixtures

    model = ParabolaMixture(5, 0.3)
    a = compute_truth(model, 30_000, seed=4)
    assert a == compute_truth(model, 30_000, seed=4)
    # The chunked mean and SD equal the one-pass ones on the same stream of draws.
    monkeypatch.setattr(mixtures, "CHUNK_SIZE", 7_000)
    rng = np.random.default_rng(4)
    values = np.concatenate([model.pointwise_mi(*model(size, rng)) for size in (7_000,) * 4 + (2_000,)])
    value, stderr = compute_truth(model, 30_000, seed=4)
    assert value == pytest.approx(values.mean(), abs=1e-13)
    assert stderr == pytest.approx(values.std(ddof=1) / math.sqrt(len(values)), rel=1e-10)


# X mixture: I_1 = E_+[log cosh(rho XY / s^2)] - log s - rho^2 / s^2, and under one component the product
# P = XY has density exp(rho p / s^2) K_0(|p| / s^2) / (pi s) (Craig 1936): a 1-D quadrature.


def _product_density(p: float, rho: float) -> float:
    s2 = (1 - rho) * (1 + rho)
    return special.kve(0, abs(p) / s2) * math.exp((rho * p - abs(p)) / s2) / (math.pi * math.sqrt(s2))


def _integrate_product(g, rho: float) -> float:
    pieces = ((-np.inf, -1), (-1, 0), (0, 1), (1, np.inf))
    return sum(
        integrate.quad(lambda p: _product_density(p, rho) * g(p), a, b, epsabs=1e-12, epsrel=1e-12, limit=200)[0]
        for a, b in pieces
    )


def _x_mixture_quadrature(rho: float) -> float:
    s2 = (1 - rho) * (1 + rho)

    def log_cosh(p: float) -> float:
        t = abs(rho * p / s2)
        return t + math.log1p(math.exp(-2 * t)) - math.log(2)

    return _integrate_product(log_cosh, rho) - 0.5 * math.log(s2) - rho * rho / s2


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_x_mixture_truth_equals_quadrature(rho):
    # The quadrature itself: the density integrates to 1 and has mean rho = E[XY] (to 1e-9).
    assert _integrate_product(lambda p: 1.0, rho) == pytest.approx(1.0, abs=1e-9)
    assert _integrate_product(lambda p: p, rho) == pytest.approx(rho, abs=1e-9)
    task = x_mixture(rho)
    assert _within(task.mi, task.mi_stderr, _x_mixture_quadrature(rho))


def test_x_mixture_reference_value():
    # The brief's "about 0.409 nats" for rho = 0.9 (quadrature: 0.408443).
    assert x_mixture(0.9).mi == pytest.approx(0.409, abs=2e-3)


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_x_pairs_add_up(rho):
    single = x_mixture(rho)
    for n_pairs in (2, 5):
        task = x_mixture(rho, n_pairs=n_pairs)
        assert task.mi == n_pairs * single.mi and task.mi_stderr == n_pairs * single.mi_stderr
        # The d-dimensional pointwise MI by Monte Carlo directly: agrees within the combined SE.
        value, stderr = compute_truth(task.sampler, 100_000, seed=77)
        assert _within(task.mi, task.mi_stderr, value, stderr)


def _gauss_hermite(n: int):
    nodes, weights = special.roots_hermitenorm(n)
    return nodes, weights / math.sqrt(2 * math.pi)


def _parabola_quadrature(k: int, sigma: float, n_nodes: int) -> float:
    # Independent densities from scipy.stats, the expectation per component by tensor Gauss-Hermite.
    means = np.arange(k) - (k - 1) / 2
    nodes, weights = _gauss_hermite(n_nodes)
    total = 0.0
    for m in means:
        x = (m + sigma * nodes)[:, None]
        y = (m * m + sigma * nodes)[None, :]
        log_px = special.logsumexp(stats.norm.logpdf(x[..., None], means, sigma), axis=-1) - math.log(k)
        log_py = special.logsumexp(stats.norm.logpdf(y[..., None], means**2, sigma), axis=-1) - math.log(k)
        log_pxy = special.logsumexp(
            stats.norm.logpdf(x[..., None], means, sigma) + stats.norm.logpdf(y[..., None], means**2, sigma), axis=-1
        ) - math.log(k)
        total += np.sum(weights[:, None] * weights[None, :] * (log_pxy - log_px - log_py)) / k
    return float(total)


@pytest.mark.parametrize(("k", "sigma"), [(5, 0.3), (9, 0.5)])
def test_parabola_truth_equals_quadrature(k, sigma):
    coarse, fine = _parabola_quadrature(k, sigma, 60), _parabola_quadrature(k, sigma, 100)
    assert abs(coarse - fine) < 1e-6  # the quadrature has converged
    task = parabola_mixture(k, sigma=sigma)
    assert _within(task.mi, task.mi_stderr, fine)


def _scale_quadrature(dim: int, ratio: float, n_nodes: int) -> float:
    # The pointwise MI depends on t = |x|^2 and u = |y|^2 only; given the scale a, t / a^2 ~ chi^2_dim, i.e.
    # t / (2 a^2) ~ Gamma(dim/2): generalised Gauss-Laguerre in each of t and u.
    nodes, weights = special.roots_genlaguerre(n_nodes, dim / 2 - 1)
    weights = weights / special.gamma(dim / 2)
    scales = np.array([1.0, ratio])

    def log_density(sq):  # log N(v; 0, a^2 I) for each a, from |v|^2 = sq
        return -0.5 * dim * np.log(2 * np.pi * scales**2) - sq[..., None] / (2 * scales**2)

    total = 0.0
    for a in scales:
        t = (2 * a * a * nodes)[:, None]
        u = (2 * a * a * nodes)[None, :]
        lx, ly = log_density(t), log_density(u)
        pointwise = (
            special.logsumexp(lx + ly, axis=-1)
            - special.logsumexp(lx, axis=-1)
            - special.logsumexp(ly, axis=-1)
            + math.log(2)
        )
        total += 0.5 * np.sum(weights[:, None] * weights[None, :] * pointwise)
    return float(total)


@pytest.mark.parametrize(("dim", "ratio"), [(1, 3.0), (5, 2.0)])
def test_scale_truth_equals_quadrature(dim, ratio):
    coarse, fine = _scale_quadrature(dim, ratio, 150), _scale_quadrature(dim, ratio, 300)
    assert abs(coarse - fine) < 1e-6
    task = scale_mixture(dim, ratio=ratio)
    assert _within(task.mi, task.mi_stderr, fine)


def _shell_log_px(norm, dim, n_shells, sigma):
    # log p(x | r) up to terms free of r, from scipy's non-central chi-square: |X|^2 / sigma^2 ~
    # ncx2(dim, r^2 / sigma^2), and X is radially symmetric, so p(x | r) is proportional (in |x|) to that density.
    radii = np.arange(1, n_shells + 1)
    return stats.ncx2.logpdf((norm**2 / sigma**2)[..., None], dim, (radii / sigma) ** 2)


def _shells_quadrature(dim, n_shells, sigma_x, sigma_y, n_t, n_y):
    radii = np.arange(1, n_shells + 1)
    y_nodes, y_weights = _gauss_hermite(n_y)
    gl_nodes, gl_weights = np.polynomial.legendre.leggauss(n_t)
    total = 0.0
    for r in radii:
        nc = (r / sigma_x) ** 2
        sd = math.sqrt(2 * (dim + 2 * nc))
        lo, hi = max(0.0, dim + nc - 14 * sd), dim + nc + 14 * sd
        t = 0.5 * (hi - lo) * gl_nodes + 0.5 * (hi + lo)
        t_weights = 0.5 * (hi - lo) * gl_weights * stats.ncx2.pdf(t, dim, nc)
        y = r + sigma_y * y_nodes
        lx = _shell_log_px(np.sqrt(t) * sigma_x, dim, n_shells, sigma_x)[:, None, :]
        ly = stats.norm.logpdf(y[:, None], radii, sigma_y)[None, :, :]
        pointwise = (
            special.logsumexp(lx + ly, axis=-1)
            - special.logsumexp(lx, axis=-1)
            - special.logsumexp(ly, axis=-1)
            + math.log(n_shells)
        )
        total += np.sum(t_weights[:, None] * y_weights[None, :] * pointwise) / n_shells
    return float(total)


@pytest.mark.parametrize(("dim", "n_shells", "sigma_x", "sigma_y"), [(2, 3, 0.2, 0.3), (5, 4, 0.3, 0.3)])
def test_shells_truth_equals_quadrature(dim, n_shells, sigma_x, sigma_y):
    coarse = _shells_quadrature(dim, n_shells, sigma_x, sigma_y, 300, 160)
    fine = _shells_quadrature(dim, n_shells, sigma_x, sigma_y, 600, 240)
    assert abs(coarse - fine) < 1e-6
    task = shells(dim, n_shells, sigma_x=sigma_x, sigma_y=sigma_y)
    assert _within(task.mi, task.mi_stderr, fine)


@pytest.mark.parametrize("dim", [1, 2, 3, 5, 10])
def test_sphere_moment_generating_function(dim):
    # A_d(k) = E[exp(k U_1)]: U_1 = +-1 for d = 1, else U_1 has density (1 - t^2)^((d-3)/2) / B(1/2, (d-1)/2)
    # (checked against mpmath at 40 digits for d = 10, k = 400 while writing this test).
    # Both routes lose ~1e-16 absolutely to cancellation at small kappa (the value is ~kappa^2 / (2d)): compare to
    # 1e-13 absolutely and 1e-9 relatively; and the small-kappa series to its next term.
    for kappa in (1e-9, 1e-4, 0.999e-3, 1.001e-3, 0.5, 5.0, 50.0, 400.0):
        if dim == 1:
            expected = math.log(math.cosh(kappa))
        else:
            # With s = 1 - t: int_0^2 exp(-k s) s^g (2 - s)^g ds, split where exp(-k s) has decayed (QUADPACK's
            # algebraic weights take the endpoint singularities).
            g = (dim - 3) / 2
            cut = min(50 / kappa, 1.0)
            integral = integrate.quad(
                lambda u, k=kappa, g=g: math.exp(-k * u) * (2 - u) ** g, 0, cut, weight="alg", wvar=(g, 0)
            )[0]
            integral += integrate.quad(
                lambda u, k=kappa, g=g: math.exp(-k * u) * u**g, cut, 2, weight="alg", wvar=(0, g)
            )[0]
            expected = math.log(integral) + kappa - special.betaln(0.5, (dim - 1) / 2)
        assert float(log_sphere_mgf(dim, np.array(kappa))) == pytest.approx(expected, rel=1e-9, abs=1e-13)
    for kappa in (1e-9, 1e-4, 0.999e-3):
        leading = kappa**2 / (2 * dim) - kappa**4 / (4 * dim**2 * (dim + 2))
        assert float(log_sphere_mgf(dim, np.array(kappa))) == pytest.approx(leading, rel=1e-12)


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_shells_pointwise_mi_matches_the_non_central_chi_square_route(dim):
    model = ShellsMixture(dim, 3, 0.25, 0.4)
    x, y = model(2_000, np.random.default_rng(6))
    lx = _shell_log_px(np.linalg.norm(x, axis=1), dim, 3, 0.25)
    ly = stats.norm.logpdf(y, np.arange(1, 4), 0.4)
    expected = special.logsumexp(lx + ly, axis=1) - special.logsumexp(lx, axis=1) - special.logsumexp(ly, axis=1)
    assert np.allclose(model.pointwise_mi(x, y), expected + math.log(3), rtol=1e-8, atol=1e-8)


# --------------------------------------------------------------------------------------------------------------
# Zero correlation, and the samplers' laws
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", CATALOGUE, ids=lambda t: t.id)
def test_pearson_correlation_is_zero(task):
    # Every cross-correlation corr(X_i, Y_j) is 0 by symmetry; the sample one is within 5 of its standard errors
    # (estimated from the sample as SD(z_x z_y) / sqrt(n); false alarm ~6e-7 per pair, < 1e-4 over all pairs).
    n = 100_000
    x, y = task.sample(n, seed=31)
    zx = (x - x.mean(axis=0)) / x.std(axis=0)
    zy = (y - y.mean(axis=0)) / y.std(axis=0)
    products = zx[:, :, None] * zy[:, None, :]
    r = products.mean(axis=0)
    se = products.std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(r) < 5 * se)
    # The Gaussian (linear) MI these correlations imply is negligible next to the truth.
    assert -0.5 * np.sum(np.log1p(-(r**2))) < 0.1 * task.mi + 1e-3


def _moment_within(values: np.ndarray, expected: float) -> bool:
    # Sample mean within 5 standard errors of its expectation.
    return abs(values.mean() - expected) < 5 * values.std(ddof=1) / math.sqrt(len(values))


def _normal_mixture_cdf(means, sds):
    means, sds = np.broadcast_arrays(np.asarray(means, float), np.asarray(sds, float))
    return lambda v: np.mean(stats.norm.cdf(np.asarray(v)[:, None], means, sds), axis=1)


N_LAW = 100_000
# Each KS test below is rejected at level 1e-4.


@pytest.mark.parametrize("rho", [0.5, 0.99])
def test_x_mixture_law(rho):
    x, y = XMixture(rho, 2)(N_LAW, np.random.default_rng(12))
    for column in (*x.T, *y.T):
        assert stats.kstest(column, "norm").pvalue > 1e-4
    # E[X^2 Y^2] = 1 + 2 rho^2 under either component; E[X Y] = 0 (the mixture); pairs independent.
    assert _moment_within(x[:, 0] ** 2 * y[:, 0] ** 2, 1 + 2 * rho * rho)
    assert _moment_within(x[:, 0] * y[:, 0], 0.0)
    assert _moment_within(x[:, 0] ** 2 * y[:, 1] ** 2, 1.0)
    # Joint law: (X + Y)/sqrt 2 is N(0, 1 + rho) under the + component and N(0, 1 - rho) under the - one.
    u = (x[:, 1] + y[:, 1]) / math.sqrt(2)
    assert stats.kstest(u, _normal_mixture_cdf([0, 0], np.sqrt([1 + rho, 1 - rho]))).pvalue > 1e-4


@pytest.mark.parametrize(("k", "sigma"), [(5, 0.3), (4, 0.5)])
def test_parabola_law(k, sigma):
    x, y = ParabolaMixture(k, sigma)(N_LAW, np.random.default_rng(13))
    means = np.arange(k) - (k - 1) / 2
    assert stats.kstest(x[:, 0], _normal_mixture_cdf(means, sigma)).pvalue > 1e-4
    assert stats.kstest(y[:, 0], _normal_mixture_cdf(means**2, sigma)).pvalue > 1e-4
    # Joint: E[X^2 Y] = E[m^4] + sigma^2 E[m^2] (X and Y share the component).
    assert _moment_within(x[:, 0] ** 2 * y[:, 0], np.mean(means**4) + sigma**2 * np.mean(means**2))


@pytest.mark.parametrize(("dim", "ratio"), [(1, 3.0), (3, 2.0)])
def test_scale_law(dim, ratio):
    x, y = ScaleMixture(dim, ratio)(N_LAW, np.random.default_rng(14))
    for column in (x[:, 0], y[:, -1]):
        assert stats.kstest(column, _normal_mixture_cdf([0, 0], [1, ratio])).pvalue > 1e-4
    # Joint: E[|X|^2 |Y|^2] = dim^2 E[a^4] = dim^2 (1 + ratio^4) / 2.
    sq_x, sq_y = np.sum(x * x, axis=1), np.sum(y * y, axis=1)
    assert _moment_within(sq_x * sq_y, dim * dim * (1 + ratio**4) / 2)


@pytest.mark.parametrize(
    ("dim", "n_shells", "sigma_x", "sigma_y"), [(2, 3, 0.2, 0.3), (5, 4, 0.3, 0.3), (1, 2, 0.5, 1)]
)
def test_shells_law(dim, n_shells, sigma_x, sigma_y):
    x, y = ShellsMixture(dim, n_shells, sigma_x, sigma_y)(N_LAW, np.random.default_rng(15))
    radii = np.arange(1, n_shells + 1)
    sq = np.sum(x * x, axis=1)

    def cdf_sq(v):
        return np.mean(stats.ncx2.cdf(np.asarray(v)[:, None] / sigma_x**2, dim, (radii / sigma_x) ** 2), axis=1)

    assert stats.kstest(sq, cdf_sq).pvalue > 1e-4
    assert stats.kstest(y[:, 0], _normal_mixture_cdf(radii, sigma_y)).pvalue > 1e-4
    # Direction uniform: each coordinate of X / |X| has mean 0. Joint: E[|X|^2 Y] = E[R^3] + dim sigma_x^2 E[R].
    unit = x / np.sqrt(sq)[:, None]
    assert all(_moment_within(unit[:, i], 0.0) for i in range(dim))
    assert _moment_within(sq * y[:, 0], np.mean(radii**3.0) + dim * sigma_x**2 * np.mean(radii))


# --------------------------------------------------------------------------------------------------------------
# Ids, metadata, determinism, bad parameters
# --------------------------------------------------------------------------------------------------------------


def test_metadata_ids_and_round_trip():
    assert len({t.id for t in CATALOGUE}) == len(CATALOGUE) == 15
    for task in CATALOGUE:
        assert task.id == task.id.lower() and not any(c.isspace() for c in task.id)
        assert task.family == "mixture" and task.truth == "monte carlo" and task.version == "1"
        assert not task.discrete
        json.dumps(dict(task.params))
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
        clone = pickle.loads(pickle.dumps(task.sampler))
        assert np.array_equal(clone(20, np.random.default_rng(0))[1], task.sampler(20, np.random.default_rng(0))[1])
        x, y = task.sample(10, seed=0)
        assert x.dtype == np.float64 and y.dtype == np.float64
    assert x_mixture(0.9).id == "mixture-x-rho0.9"
    assert x_mixture(-0.9).mi == x_mixture(0.9).mi  # the same law with the components relabelled
    assert x_mixture(0.9, n_pairs=5).id == "mixture-x-rho0.9-pairs5"
    assert shells(2, 3, sigma_x=0.2, sigma_y=0.3).id == "mixture-shells-d2-k3-sx0.2-sy0.3"
    assert parabola_mixture(5, sigma=0.3).id == "mixture-parabola-k5-s0.3"
    assert scale_mixture(1, ratio=3).id == "mixture-scale-d1-a3"
    assert from_id("mixture-x-rho0.90") is None  # only the canonical spelling
    assert from_id("mixture-x-rho0.9-pairs1") is None
    assert from_id("quantized-gaussian-rho0.9-w1") is None


def test_catalogue_is_cheap():
    start = time.perf_counter()
    list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3


def test_untabulated_setting_needs_n_points():
    with pytest.raises(ValueError, match=r"no precomputed truth.*n_points"):
        x_mixture(0.7)
    assert from_id("mixture-parabola-k7-s0.3") is None  # untabulated: not a known task
    with pytest.raises(ValueError, match=r"rho must be a finite number in \(-1, 1\)"):
        from_id("mixture-x-rho1.5")
    task = x_mixture(0.7, n_pairs=3, n_points=20_000, seed=5)
    value, stderr = compute_truth(XMixture(0.7), 20_000, seed=5)
    assert (task.mi, task.mi_stderr) == (3 * value, 3 * stderr)
    assert task.params["mc_points"] == 20_000 and task.params["mc_seed"] == 5


def test_seed_determinism_and_independence():
    for task in CATALOGUE[::3]:
        a, b, c = task.sample(100, 5), task.sample(100, 5), task.sample(100, 6)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize(
    ("factory", "args", "kwargs", "message"),
    [
        (x_mixture, (1.0,), {}, r"rho must be a finite number in \(-1, 1\)"),
        (x_mixture, (-1.2,), {}, r"rho must be a finite number in \(-1, 1\)"),
        (x_mixture, (float("nan"),), {}, r"rho must be a finite number in \(-1, 1\)"),
        (x_mixture, ("0.9",), {}, r"rho must be a finite number in \(-1, 1\)"),
        (x_mixture, (0.9,), {"n_pairs": 0}, r"n_pairs must be an integer >= 1"),
        (x_mixture, (0.9,), {"n_pairs": 1.5}, r"n_pairs must be an integer >= 1"),
        (shells, (0, 3), {"sigma_x": 0.2, "sigma_y": 0.3}, r"dim must be an integer >= 1"),
        (shells, (2, 1), {"sigma_x": 0.2, "sigma_y": 0.3}, r"n_shells must be an integer >= 2"),
        (shells, (2, 3), {"sigma_x": 0.0, "sigma_y": 0.3}, r"sigma_x must be a finite number > 0"),
        (shells, (2, 3), {"sigma_x": 0.2, "sigma_y": float("inf")}, r"sigma_y must be a finite number > 0"),
        (shells, (2, 3), {"sigma_x": 0.2, "sigma_y": None}, r"sigma_y must be a finite number > 0"),
        (parabola_mixture, (2,), {"sigma": 0.3}, r"n_components must be an integer >= 3"),
        (parabola_mixture, (5,), {"sigma": -0.3}, r"sigma must be a finite number > 0"),
        (scale_mixture, (0,), {"ratio": 2.0}, r"dim must be an integer >= 1"),
        (scale_mixture, (1,), {"ratio": 0.0}, r"ratio must be a finite number > 0"),
        (scale_mixture, (1,), {"ratio": float("nan")}, r"ratio must be a finite number > 0"),
        (compute_truth, (XMixture(0.5), 1, 0), {}, r"n_points must be an integer >= 2"),
    ],
)
def test_impossible_parameters_name_the_parameter(factory, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        factory(*args, **kwargs)
