"""Correlated Gaussian pairs: the truth by independent routes, the sampler's law, bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mibench.synthetic.gaussian import from_id, gaussian_pairs


def _joint_covariance(task):
    p = task.params
    dx, dy, k, rho = p["dim_x"], p["dim_y"], p["n_pairs"], p["rho"]
    cov = np.eye(dx + dy)
    for i in range(k):
        cov[i, dx + i] = cov[dx + i, i] = rho
    return cov


@pytest.mark.parametrize(
    "task",
    [
        gaussian_pairs(1, 1, rho=0.75),
        gaussian_pairs(3, 2, rho=-0.4),
        gaussian_pairs(5, 5, mi=2.0),
        gaussian_pairs(4, 6, mi=1.0, n_pairs=2),
        gaussian_pairs(20, 20, mi=10.0),
    ],
    ids=lambda t: t.id,
)
def test_truth_equals_log_det_formula(task):
    # Independent route 1: I = 1/2 log(det S_xx det S_yy / det S) on the joint covariance (Cover & Thomas 8.5).
    cov = _joint_covariance(task)
    dx = task.dim_x
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    expected = 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))
    assert task.mi == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_bmi_reference_value():
    # bmi's 1v1-normal-0.75 (Czyż et al., "Beyond Normal", NeurIPS 2023): 0.413339 nats.
    assert gaussian_pairs(1, 1, rho=0.75).mi == pytest.approx(0.413339, abs=5e-7)


@pytest.mark.parametrize("task", [gaussian_pairs(1, 1, rho=0.75), gaussian_pairs(2, 3, mi=1.5)], ids=lambda t: t.id)
def test_truth_equals_monte_carlo_of_pointwise_mi(task):
    # Independent route 2: I = E[log p(x,y) - log p(x) - log p(y)] with scipy's densities, on the task's own
    # samples. Accept within 5 Monte-Carlo standard errors (false-alarm probability ~6e-7).
    n = 200_000
    x, y = task.sample(n, seed=11)
    cov = _joint_covariance(task)
    dx = task.dim_x
    joint = stats.multivariate_normal(np.zeros(len(cov)), cov).logpdf(np.hstack([x, y]))
    marg_x = stats.multivariate_normal(np.zeros(dx), cov[:dx, :dx]).logpdf(x)
    marg_y = stats.multivariate_normal(np.zeros(task.dim_y), cov[dx:, dx:]).logpdf(y)
    pointwise = joint - marg_x - marg_y
    se = pointwise.std(ddof=1) / math.sqrt(n)
    assert abs(pointwise.mean() - task.mi) < 5 * se


def test_sampler_has_the_claimed_covariance():
    task = gaussian_pairs(3, 2, mi=1.0)
    n = 100_000
    x, y = task.sample(n, seed=5)
    cov = _joint_covariance(task)
    sample_cov = np.cov(np.hstack([x, y]), rowvar=False)
    # SE of a sample covariance entry of a Gaussian: sqrt((s_ij^2 + s_ii s_jj) / n); accept 5 SE.
    se = np.sqrt((cov**2 + np.outer(np.diag(cov), np.diag(cov))) / n)
    assert np.all(np.abs(sample_cov - cov) < 5 * se)
    # Means zero within 5 SE (unit variances).
    assert np.all(np.abs(np.hstack([x, y]).mean(axis=0)) < 5 / math.sqrt(n))


def test_high_mi_is_built_without_cancellation():
    task = gaussian_pairs(1, 1, mi=10.0)
    x, y = task.sample(50_000, seed=1)
    rho = task.params["rho"]
    residual_sd = (y - rho * x).std()
    # sqrt(1 - rho^2) = exp(-10) ~ 4.5e-5; the sample SD of 50 000 normals is within 2% of it.
    assert residual_sd == pytest.approx(math.exp(-10.0), rel=0.02)


def test_sampler_is_deterministic_and_seeds_differ():
    task = gaussian_pairs(2, 2, mi=1.0)
    a, b, c = task.sample(100, 7), task.sample(100, 7), task.sample(100, 8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_ids_round_trip_and_are_canonical():
    for task in (
        gaussian_pairs(1, 1, rho=0.75),
        gaussian_pairs(7, 3, mi=2.5, n_pairs=2),
        gaussian_pairs(2, 2, mi=0),
    ):
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
    assert gaussian_pairs(2, 2, mi=1.0).id == "gaussian-pairs-2x2-mi1"
    assert from_id("gaussian-pairs-2x2-mi1.0") is None  # only the canonical spelling
    assert from_id("student-t-2x2") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim_x": 0, "dim_y": 1, "rho": 0.5}, "dim_x"),
        ({"dim_x": 1, "dim_y": 1, "rho": 1.0}, r"rho must be a finite number in \(-1, 1\)"),
        ({"dim_x": 1, "dim_y": 1, "rho": -1.5}, r"rho must be a finite number in \(-1, 1\)"),
        ({"dim_x": 1, "dim_y": 1, "mi": -0.1}, "mi must be"),
        ({"dim_x": 1, "dim_y": 1, "mi": float("inf")}, "mi must be"),
        ({"dim_x": 2, "dim_y": 2, "mi": 1.0, "n_pairs": 3}, "n_pairs"),
        ({"dim_x": 2, "dim_y": 2}, "exactly one"),
        ({"dim_x": 2, "dim_y": 2, "mi": 1.0, "rho": 0.5}, "exactly one"),
    ],
)
def test_impossible_parameters_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gaussian_pairs(**kwargs)
