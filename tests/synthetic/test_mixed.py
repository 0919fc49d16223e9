"""Mixed discrete-continuous and quantised-Gaussian tasks: truths by independent routes, laws, bad parameters."""

from __future__ import annotations

import itertools
import json
import math
import pickle
import time

import numpy as np
import pytest
from scipy import integrate, stats

from mibench.synthetic.mixed import (
    MIN_WIDTH,
    catalogue_tasks,
    from_id,
    quantized_gaussian,
    quantized_gaussian_cells,
    uniform_window,
)

# --------------------------------------------------------------------------------------------------------------
# Uniform window
# --------------------------------------------------------------------------------------------------------------


def _window_density(y: float, m: int) -> float:
    # p(y) = (1/m) sum_x 1[x <= y < x + 2] / 2, written out from the definition.
    return sum(0.5 for x in range(m) if x <= y < x + 2) / m


@pytest.mark.parametrize("m", [2, 3, 4, 16, 50])
def test_window_truth_equals_quadrature_of_the_entropy(m):
    # Independent route: h(Y) = -int p log p by adaptive quadrature with the breakpoints at the integers, and
    # h(Y|X) = log 2 (a width-2 uniform). The integrand is piecewise constant: quad is exact up to rounding.
    def integrand(y: float) -> float:
        p = _window_density(y, m)
        return -p * math.log(p) if p > 0 else 0.0

    h_y = sum(integrate.quad(integrand, k, k + 1, epsabs=1e-14)[0] for k in range(m + 1))
    assert uniform_window(m).mi == pytest.approx(h_y - math.log(2), abs=1e-10)


def test_window_monte_carlo_of_the_pointwise_mi():
    # A second route on the task's own samples: mean of log p(y|x) - log p(y), within 5 SE (false alarm ~6e-7).
    task = uniform_window(4)
    n = 200_000
    _, y = task.sample(n, seed=3)
    p_y = np.where((y[:, 0] < 1) | (y[:, 0] >= 4), 1 / 8, 1 / 4)
    pointwise = np.log(0.5 / p_y)
    se = pointwise.std(ddof=1) / math.sqrt(n)
    assert abs(pointwise.mean() - task.mi) < 5 * se


def test_window_known_values():
    assert uniform_window(2).mi == pytest.approx(0.5 * math.log(2), abs=1e-15)
    # Large m: I -> log m - log 2 (windows of width 2 hide one bit).
    assert uniform_window(10**6).mi == pytest.approx(math.log(10**6) - math.log(2), abs=1e-5)


def test_window_sampler_law():
    m, n = 5, 100_000
    task = uniform_window(m)
    x, y = task.sample(n, seed=8)
    assert x.dtype == np.int64 and y.dtype == np.float64 and x.shape == (n, 1) and y.shape == (n, 1)
    # X uniform on {0..m-1}: chi-square; Y - X ~ U(0, 2) and Y against its piecewise-linear CDF: KS. Each test is
    # rejected at level 1e-4.
    assert stats.chisquare(np.bincount(x[:, 0], minlength=m)).pvalue > 1e-4
    assert stats.kstest((y - x)[:, 0], stats.uniform(0, 2).cdf).pvalue > 1e-4

    def cdf(v):
        v = np.asarray(v)
        return np.mean([np.clip((v - k) / 2, 0, 1) for k in range(m)], axis=0)

    assert stats.kstest(y[:, 0], cdf).pvalue > 1e-4


# --------------------------------------------------------------------------------------------------------------
# Quantised Gaussian
# --------------------------------------------------------------------------------------------------------------


def _interval(lower: float, upper: float) -> float:
    # P(lower <= Z < upper) for a standard normal, with scipy's survival function above the mean.
    if lower >= 0:
        return float(stats.norm.sf(lower) - stats.norm.sf(upper))
    return float(stats.norm.cdf(upper) - stats.norm.cdf(lower))


def _quad_cell(rho: float, width: float, i: int, j: int) -> float:
    """P(X = i, Y = j) by adaptive quadrature of phi(x) P(Y in cell j | x) over the x-cell (epsabs 1e-13)."""
    s = math.sqrt(1 - rho * rho)
    a, b = j * width, (j + 1) * width

    def integrand(x: float) -> float:
        return stats.norm.pdf(x) * _interval((a - rho * x) / s, (b - rho * x) / s)

    # The conditional probability switches on where rho x crosses a or b: tell quad.
    lo, hi = i * width, (i + 1) * width
    points = [p for p in (a / rho, b / rho) if lo < p < hi] if rho else None
    return integrate.quad(integrand, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200, points=points or None)[0]


QUAD_CASES = [(0.9, 1.0), (-0.6, 0.75), (0.99, 1.5), (0.3, 2.0)]


@pytest.mark.parametrize(("rho", "width"), QUAD_CASES)
def test_cells_and_truth_match_adaptive_quadrature(rho, width):
    # Independent route: every cell by scipy.integrate.quad on a grid truncated at |z| <= 7.5 (neglected mass
    # 4 P(Z > 7.5) = 1.3e-13; its effect on the MI is below 1e-11 by the bound in the module docstring). The cell
    # probabilities agree to the quadratures' absolute tolerance (1e-13, with margin 10x for the sum of the two
    # errors), the MI to 1e-10 (the required accuracy of the truth).
    cells = quantized_gaussian_cells(rho, width)
    k = math.ceil(7.5 / width)
    idx = range(-k, k)
    table = np.array([[_quad_cell(rho, width, i, j) for j in idx] for i in idx])
    marginal = np.array([_interval(i * width, (i + 1) * width) for i in idx])
    offset = -k - cells.first_cell
    ours = cells.joint[offset : offset + 2 * k, offset : offset + 2 * k]
    assert np.max(np.abs(ours - table)) < 1e-12
    positive = table > 0
    mi = np.sum(table[positive] * np.log(table[positive] / np.outer(marginal, marginal)[positive]))
    assert quantized_gaussian(rho, width).mi == pytest.approx(mi, abs=1e-10)


def test_two_cells_give_sheppards_sign_formula():
    # With width 10 only the signs matter (mass beyond |z| = 10 is 1.5e-23): P(same sign) = 1/2 + arcsin(rho)/pi
    # (Sheppard 1899), the marginals are uniform, so I = log 2 - h2(P(same sign)). Exact to rounding.
    for rho in (0.2, 0.9, -0.7):
        q = 0.5 + math.asin(rho) / math.pi
        h2 = -q * math.log(q) - (1 - q) * math.log(1 - q)
        assert quantized_gaussian(rho, 10.0).mi == pytest.approx(math.log(2) - h2, abs=1e-13)


def test_zero_correlation_and_symmetry():
    assert quantized_gaussian(0.0, 0.5).mi == pytest.approx(0.0, abs=1e-14)
    # Z2 -> -Z2 maps cell j to cell -j-1 (boundaries have probability 0): the law of |rho| decides the MI.
    assert quantized_gaussian(-0.8, 0.3).mi == pytest.approx(quantized_gaussian(0.8, 0.3).mi, abs=1e-12)


def test_truncation_is_accounted_for():
    for rho, width in ((0.9, 0.25), (0.5, 3.0), (0.999, 0.5)):
        cells = quantized_gaussian_cells(rho, width)
        assert cells.truncation_bound < 1e-12
        # The kept cells hold all but the neglected mass; the marginals are the exact ones, the rows sum to them.
        assert cells.joint.sum() == pytest.approx(1.0 - cells.neglected_mass, abs=1e-13)
        assert cells.marginal.sum() == pytest.approx(1.0, abs=1e-13)
        assert np.allclose(cells.joint.sum(axis=1), cells.marginal, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_data_processing_inequality_and_the_small_width_limit(rho):
    # I(quantised) <= I(continuous) = -1/2 log(1 - rho^2), increasing as the width shrinks.
    continuous = -0.5 * math.log1p(-rho * rho)
    widths = (4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05)
    values = [quantized_gaussian(rho, w).mi for w in widths]
    assert all(v < continuous for v in values)
    assert all(a < b for a, b in itertools.pairwise(values))
    # Second-order theory: gap = w^2 rho^2 / (12 (1 - rho^2)) + O(w^4). The O(w^4) term is relative
    # O(w^2 tr(Sigma^-1)) = O(2 w^2 / (1 - rho^2)) to the leading one; accept that relative deviation.
    w = widths[-1]
    leading = w * w * rho * rho / (12 * (1 - rho * rho))
    assert continuous - values[-1] == pytest.approx(leading, rel=2 * w * w / (1 - rho * rho))


@pytest.mark.parametrize(("rho", "width"), [(0.9, 1.0), (0.5, 0.5)])
def test_plugin_estimate_on_a_large_sample_is_within_its_standard_error(rho, width):
    task = quantized_gaussian(rho, width)
    cells = quantized_gaussian_cells(rho, width)
    n = 1_000_000
    x, y = task.sample(n, seed=17)
    _, joint_counts = np.unique(np.hstack([x, y]), axis=0, return_counts=True)
    _, x_counts = np.unique(x, return_counts=True)
    _, y_counts = np.unique(y, return_counts=True)

    def plug_in_entropy(counts):
        p = counts / n
        return -np.sum(p * np.log(p))

    plugin = plug_in_entropy(x_counts) + plug_in_entropy(y_counts) - plug_in_entropy(joint_counts)
    # Miller-Madow: remove the first-order bias (S_xy - S_x - S_y + 1) / (2n) with the observed support sizes
    # (cells too rare to be observed add O(their mass), below 1e-5 here). SE from the law's pointwise-MI SD.
    bias = (len(joint_counts) - len(x_counts) - len(y_counts) + 1) / (2 * n)
    p = cells.joint
    positive = p > 0
    log_ratio = np.log(p[positive] / np.outer(cells.marginal, cells.marginal)[positive])
    sd = math.sqrt(np.sum(p[positive] * log_ratio**2) - task.mi**2)
    assert abs(plugin - bias - task.mi) < 5 * sd / math.sqrt(n)  # 5 SE: false alarm ~6e-7


@pytest.mark.parametrize(("rho", "width"), [(0.9, 0.5), (-0.5, 1.0), (0.99, 0.25)])
def test_quantized_sampler_chi_square(rho, width):
    task = quantized_gaussian(rho, width)
    cells = quantized_gaussian_cells(rho, width)
    n = 200_000
    x, y = task.sample(n, seed=21)
    assert x.dtype == np.int64 and y.dtype == np.int64
    size = cells.joint.shape[0]
    i, j = x[:, 0] - cells.first_cell, y[:, 0] - cells.first_cell
    assert np.all((i >= 0) & (i < size) & (j >= 0) & (j < size))  # P(outside) ~ 1e-19
    observed = np.bincount(i * size + j, minlength=size * size).astype(float)
    expected = n * cells.joint.ravel()
    # Pool the cells with expected count < 5 (and the neglected mass) into one; reject at level 1e-4.
    small = expected < 5
    counts = np.append(observed[~small], observed[small].sum())
    expected = np.append(expected[~small], n - expected[~small].sum())
    assert stats.chisquare(counts, expected).pvalue > 1e-4


# --------------------------------------------------------------------------------------------------------------
# Common: ids, metadata, determinism, bad parameters
# --------------------------------------------------------------------------------------------------------------


def test_metadata_ids_and_round_trip():
    tasks = list(catalogue_tasks())
    assert len({t.id for t in tasks}) == len(tasks)
    for task in tasks:
        assert task.id == task.id.lower() and not any(c.isspace() for c in task.id)
        assert task.version == "1" and task.mi_stderr == 0 and task.discrete
        assert (task.family, task.truth) in {("mixed", "closed form"), ("quantized-gaussian", "quadrature")}
        json.dumps(dict(task.params))
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
        clone = pickle.loads(pickle.dumps(task.sampler))
        assert np.array_equal(clone(20, np.random.default_rng(0))[1], task.sampler(20, np.random.default_rng(0))[1])
    assert uniform_window(4).id == "mixed-uniform-window-m4"
    assert quantized_gaussian(0.9, 0.25).id == "quantized-gaussian-rho0.9-w0.25"
    assert quantized_gaussian(-0.5, 1).id == "quantized-gaussian-rho-0.5-w1"
    assert from_id("quantized-gaussian-rho-0.5-w1") is not None
    assert from_id("quantized-gaussian-rho0.90-w1") is None  # only the canonical spelling
    assert from_id("mixed-uniform-window-m04") is None
    assert from_id("discrete-bsc-p0.1") is None


def test_catalogue_is_cheap():
    start = time.perf_counter()
    list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3


def test_seed_determinism_and_independence():
    for task in (uniform_window(3), quantized_gaussian(0.9, 0.5)):
        a, b, c = task.sample(300, 5), task.sample(300, 5), task.sample(300, 6)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize(
    ("factory", "args", "message"),
    [
        (uniform_window, (1,), r"m \(number of symbols\) must be an integer >= 2"),
        (uniform_window, (3.0,), r"m \(number of symbols\) must be an integer >= 2"),
        (uniform_window, (True,), r"m \(number of symbols\)"),
        (quantized_gaussian, (1.0, 0.5), r"rho must be a finite number in \(-1, 1\)"),
        (quantized_gaussian, (-1.0, 0.5), r"rho must be a finite number in \(-1, 1\)"),
        (quantized_gaussian, (float("nan"), 0.5), r"rho must be a finite number in \(-1, 1\)"),
        (quantized_gaussian, ("0.5", 0.5), r"rho must be a finite number in \(-1, 1\)"),
        (quantized_gaussian, (0.5, 0.0), rf"width must be a finite number >= {MIN_WIDTH}"),
        (quantized_gaussian, (0.5, -1.0), r"width must be a finite number"),
        (quantized_gaussian, (0.5, float("inf")), r"width must be a finite number"),
        (quantized_gaussian, (0.5, MIN_WIDTH / 2), r"width must be a finite number"),
        (quantized_gaussian, (0.5, None), r"width must be a finite number"),
    ],
)
def test_impossible_parameters_name_the_parameter(factory, args, message):
    with pytest.raises(ValueError, match=message):
        factory(*args)
