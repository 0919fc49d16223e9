"""Additive uniform noise: the truth by quadrature and Monte Carlo, the sampler's law, bad parameters."""

from __future__ import annotations

import itertools
import math
import pickle
import time

import numpy as np
import pytest
from scipy import integrate, stats

from mibench.synthetic.additive import CATALOGUE_EPSILON, additive_uniform, catalogue_tasks, from_id


def _density_y(y, eps):
    """p(y) = |[0, 1] ∩ [y - eps, y + eps]| / (2 eps), the convolution of U(0, 1) and U(-eps, eps)."""
    overlap = np.clip(np.minimum(1.0, y + eps) - np.maximum(0.0, y - eps), 0.0, None)
    return overlap / (2 * eps)


def _entropy_y(eps):
    # -∫ p log p over the support [-eps, 1 + eps], with breakpoints at the density's kinks.
    def integrand(y):
        p = _density_y(y, eps)
        return -p * math.log(p) if p > 0 else 0.0

    kinks = sorted({-eps, eps, 1 - eps, 1 + eps})
    total = 0.0
    for a, b in itertools.pairwise(kinks):
        if b > a:
            total += integrate.quad(integrand, a, b, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    return total


@pytest.mark.parametrize(("eps", "expected"), [(0.1, 1.709438), (0.75, 0.333333)])
def test_bmi_reference_values(eps, expected):
    # bmi's published values (Czyż et al., "Beyond Normal", NeurIPS 2023), to 6 decimals.
    assert additive_uniform(eps).mi == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize("eps", [*CATALOGUE_EPSILON, 0.3, 0.4999, 0.5001, 10.0])
def test_truth_equals_quadrature_of_the_entropy_of_y(eps):
    # Independent route: I = h(Y) - h(N) = h(Y) - log(2 eps), h(Y) by adaptive quadrature of the trapezoid density.
    assert additive_uniform(eps).mi == pytest.approx(_entropy_y(eps) - math.log(2 * eps), abs=1e-9)


def test_truth_is_continuous_at_one_half():
    below, above = additive_uniform(0.5 - 1e-12).mi, additive_uniform(0.5 + 1e-12).mi
    assert below == pytest.approx(0.5, abs=1e-11) and above == pytest.approx(0.5, abs=1e-11)


@pytest.mark.parametrize("eps", [0.05, 0.5, 0.75, 2.0])
def test_truth_equals_monte_carlo_of_pointwise_mi(eps):
    # Pointwise MI = log p(y | x) - log p(y) = -log(2 eps) - log p(y) (p(x) = 1 on the support); its sample mean on
    # the task's own draws must be within 5 Monte-Carlo standard errors (false-alarm probability ~6e-7).
    n = 200_000
    task = additive_uniform(eps)
    _, y = task.sample(n, seed=17)
    pointwise = -math.log(2 * eps) - np.log(_density_y(y[:, 0], eps))
    se = pointwise.std(ddof=1) / math.sqrt(n)
    assert abs(pointwise.mean() - task.mi) < 5 * se


@pytest.mark.parametrize("eps", [0.1, 0.75])
def test_sampler_has_the_claimed_law(eps):
    # KS tests at level 1e-4 each: X ~ U(0, 1), N = Y - X ~ U(-eps, eps), Y ~ the trapezoid (CDF by quadrature of
    # the density on a grid, interpolated).
    n = 50_000
    x, y = additive_uniform(eps).sample(n, seed=2)
    x, y = x[:, 0], y[:, 0]
    noise = y - x
    assert stats.kstest(x, stats.uniform(0, 1).cdf).pvalue > 1e-4
    assert stats.kstest(noise, stats.uniform(-eps, 2 * eps).cdf).pvalue > 1e-4
    grid = np.linspace(-eps, 1 + eps, 20_001)
    # p is piecewise linear, so the trapezoid rule is exact except in the 4 grid cells holding a kink.
    cdf_grid = integrate.cumulative_trapezoid(_density_y(grid, eps), grid, initial=0.0)
    assert cdf_grid[-1] == pytest.approx(1.0, abs=1e-6)
    assert stats.kstest(y, lambda t: np.interp(t, grid, cdf_grid)).pvalue > 1e-4
    # Noise independent of X: correlations of X with N and with N^2 are 0 within 5 SE (SE ~ 1/sqrt(n)).
    assert abs(np.corrcoef(x, noise)[0, 1]) < 5 / math.sqrt(n)
    assert abs(np.corrcoef(x, noise**2)[0, 1]) < 5 / math.sqrt(n)


def test_sampler_is_deterministic_picklable_and_seeds_differ():
    task = additive_uniform(0.25)
    a, b, c = task.sample(100, 7), task.sample(100, 7), task.sample(100, 8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert np.array_equal(pickle.loads(pickle.dumps(task)).sample(100, 7)[1], a[1])
    assert a[0].dtype == np.float64 and a[0].shape == (100, 1) and a[1].shape == (100, 1)


def test_ids_round_trip_and_are_canonical():
    for task in (*catalogue_tasks(), additive_uniform(0.333)):
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
    assert additive_uniform(1.0).id == "additive-uniform-eps1"
    assert additive_uniform(0.1).id == "additive-uniform-eps0.1"
    assert from_id("additive-uniform-eps1.0") is None
    assert from_id("additive-uniform-0.1") is None


def test_catalogue():
    start = time.perf_counter()
    tasks = list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3
    assert [t.params["epsilon"] for t in tasks] == list(CATALOGUE_EPSILON)
    assert len({t.id for t in tasks}) == 8
    assert all(t.version == "1" and t.truth == "closed form" and t.dim_x == t.dim_y == 1 for t in tasks)


@pytest.mark.parametrize("eps", [0, -0.1, float("inf"), float("nan"), True, "0.1", None])
def test_impossible_epsilon_names_the_parameter(eps):
    with pytest.raises(ValueError, match=r"epsilon \(noise half-width\) must be a finite number > 0, got"):
        additive_uniform(eps)
