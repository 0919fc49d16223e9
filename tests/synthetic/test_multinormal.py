"""Multinormal tasks: truths by independent routes, the sampler's law, the condition guard, bad parameters."""

from __future__ import annotations

import math
import pickle
import time

import numpy as np
import pytest
from scipy import stats

from mibench.synthetic import multinormal as mn
from mibench.synthetic.multinormal import (
    ar1_covariance,
    block_covariance,
    catalogue_tasks,
    dense_condition_number,
    dense_max_mi,
    dense_max_rho,
    dense_mi,
    from_id,
    multinormal,
    multinormal_dense,
)


def _joint_covariance(task):
    p = task.params
    if "covariance" in p:
        return np.array(p["covariance"])
    d = p["dim_x"] + p["dim_y"]
    cov = np.full((d, d), p["rho"])
    np.fill_diagonal(cov, 1.0)
    return cov


def _mi_from_scipy_entropies(cov, dx):
    # Independent route: I = h(X) + h(Y) - h(X, Y) with scipy's Gaussian entropies (eigenvalue based).
    h = lambda m: stats.multivariate_normal(np.zeros(len(m)), m).entropy()  # noqa: E731
    return h(cov[:dx, :dx]) + h(cov[dx:, dx:]) - h(cov)


TASKS = [
    multinormal_dense(1, 1, rho=0.75),
    multinormal_dense(2, 3, rho=-0.2),
    multinormal_dense(5, 5, mi=2.0),
    multinormal_dense(25, 25, mi=1.0),
    multinormal_dense(3, 1, mi=5.0),
    *[t for t in catalogue_tasks() if t.family == "multinormal"],
]


@pytest.mark.parametrize(
    ("dims", "expected"),
    [((2, 2), 0.293893), ((3, 3), 0.413339), ((5, 5), 0.592812), ((25, 25), 1.292184), ((50, 50), 1.624265)],
)
def test_bmi_dense_reference_values(dims, expected):
    # bmi's published dense values (Czyż et al., "Beyond Normal", NeurIPS 2023), to 6 decimals.
    assert multinormal_dense(*dims, rho=0.5).mi == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_truth_equals_scipy_entropies(task):
    cov = _joint_covariance(task)
    assert task.mi == pytest.approx(_mi_from_scipy_entropies(cov, task.dim_x), rel=1e-8, abs=1e-10)


def test_dense_closed_form_equals_slogdet_of_the_explicit_matrix():
    for dx, dy, rho in [(1, 1, 0.3), (2, 5, 0.5), (4, 4, -0.1), (10, 3, 0.9), (7, 7, -1 / 13 + 1e-3)]:
        d = dx + dy
        cov = np.full((d, d), rho)
        np.fill_diagonal(cov, 1.0)
        logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
        expected = 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))
        assert dense_mi(dx, dy, rho) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        # The eigenvalue formula of the condition number, against numpy.
        assert dense_condition_number(d, rho) == pytest.approx(np.linalg.cond(cov), rel=1e-6)


def test_markov_chain_example_has_the_boundary_pair_mi():
    # X1 - ... - X4 - Y1 - ... - Y4 is a Gaussian Markov chain: I(X; Y) = I(X4; Y1) = -1/2 log(1 - phi^2).
    task = next(t for t in catalogue_tasks() if t.id == "multinormal-ar1-4x4-phi0.9")
    assert task.mi == pytest.approx(-0.5 * math.log(1 - 0.81), rel=1e-10)


def test_scaled_example_has_the_mi_of_its_correlation_matrix():
    task = next(t for t in catalogue_tasks() if t.id == "multinormal-scaled-2x3")
    corr = block_covariance(2, 3, within_x=0.3, within_y=-0.2, cross=0.7, n_pairs=2)
    assert task.mi == pytest.approx(_mi_from_scipy_entropies(corr, 2), rel=1e-9)


@pytest.mark.parametrize(
    "task",
    [
        multinormal_dense(3, 3, rho=0.5),
        multinormal_dense(5, 5, mi=2.0),
        *[t for t in catalogue_tasks() if t.id in ("multinormal-block-3x3", "multinormal-scaled-2x3")],
    ],
    ids=lambda t: t.id,
)
def test_truth_equals_monte_carlo_of_pointwise_mi(task):
    # I = E[log p(x,y) - log p(x) - log p(y)] with scipy's exact densities on the task's own samples; accept within
    # 5 Monte-Carlo standard errors (two-sided false-alarm probability ~6e-7 per task).
    n = 200_000
    x, y = task.sample(n, seed=3)
    cov = _joint_covariance(task)
    dx = task.dim_x
    joint = stats.multivariate_normal(np.zeros(len(cov)), cov).logpdf(np.hstack([x, y]))
    marg_x = stats.multivariate_normal(np.zeros(dx), cov[:dx, :dx]).logpdf(x)
    marg_y = stats.multivariate_normal(np.zeros(task.dim_y), cov[dx:, dx:]).logpdf(y)
    pointwise = joint - marg_x - marg_y
    se = pointwise.std(ddof=1) / math.sqrt(n)
    assert abs(pointwise.mean() - task.mi) < 5 * se


@pytest.mark.parametrize(
    "task",
    [multinormal_dense(2, 3, rho=-0.2), multinormal_dense(5, 5, mi=2.0)]
    + [t for t in catalogue_tasks() if t.id == "multinormal-scaled-2x3"],
    ids=lambda t: t.id,
)
def test_sampler_has_the_claimed_covariance(task):
    n = 100_000
    x, y = task.sample(n, seed=5)
    xy = np.hstack([x, y])
    cov = _joint_covariance(task)
    sample_cov = np.cov(xy, rowvar=False)
    # SE of a Gaussian sample covariance entry: sqrt((s_ij^2 + s_ii s_jj) / n); accept 5 SE per entry (at most 55
    # distinct entries here: family-wise false-alarm probability < 4e-5).
    se = np.sqrt((cov**2 + np.outer(np.diag(cov), np.diag(cov))) / n)
    assert np.all(np.abs(sample_cov - cov) < 5 * se)
    # Means zero within 5 SE.
    assert np.all(np.abs(xy.mean(axis=0)) < 5 * np.sqrt(np.diag(cov) / n))


def test_sampler_marginals_are_normal():
    # KS test of every standardised coordinate against N(0, 1) at level 1e-4 each.
    task = multinormal_dense(2, 2, mi=1.0)
    x, y = task.sample(20_000, seed=9)
    for column in np.hstack([x, y]).T:
        assert stats.kstest(column, "norm").pvalue > 1e-4


def test_mi_target_is_reached_and_the_mi_is_increasing_in_rho():
    for dx, dy in [(1, 1), (2, 2), (5, 5), (10, 10), (25, 25), (3, 7)]:
        grid = np.linspace(0.0, dense_max_rho(dx + dy), 2001)
        values = [dense_mi(dx, dy, r) for r in grid]
        assert np.all(np.diff(values) > 0)
        for level in (0.01, 0.1, 1.0, 2.0, 5.0, 10.0):
            task = multinormal_dense(dx, dy, mi=level)
            assert task.mi == level
            # The solved rho reproduces the target through the explicit matrix (slogdet route).
            cov = _joint_covariance(task)
            logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
            realised = 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))
            assert realised == pytest.approx(level, rel=1e-7, abs=1e-12)
    assert multinormal_dense(4, 4, mi=0).params["rho"] == 0.0


def test_condition_guard_and_reachable_maximum():
    d = 4
    top = dense_max_mi(2, 2)
    assert np.linalg.cond(_joint_covariance(multinormal_dense(2, 2, rho=dense_max_rho(d)))) == pytest.approx(
        1e10, rel=1e-3
    )
    assert 10 < top < 11  # about 10.8 nats for every dimension
    multinormal_dense(2, 2, mi=top * (1 - 1e-9))  # just reachable
    with pytest.raises(ValueError, match=rf"reachable maximum is {top:.6g} nats"):
        multinormal_dense(2, 2, mi=top + 0.01)
    with pytest.raises(ValueError, match="condition number"):
        multinormal_dense(2, 2, rho=1 - 1e-12)
    with pytest.raises(ValueError, match="condition number"):
        multinormal_dense(2, 2, rho=-1 / 3 + 1e-12)
    with pytest.raises(ValueError, match="condition number"):
        multinormal(np.array([[1.0, 1 - 1e-12], [1 - 1e-12, 1.0]]), 1, name="near-singular")


def test_condition_guard_ignores_coordinate_scales():
    # MI is scale-free, so the guard looks at the correlation matrix: variances 1e-8 and 1e8 are fine.
    cov = np.array([[1e-8, 0.5], [0.5, 1e8]])
    assert multinormal(cov, 1, name="scales").mi == pytest.approx(-0.5 * math.log(1 - 0.25))


def test_sampler_is_deterministic_picklable_and_seeds_differ():
    for task in (multinormal_dense(2, 3, rho=0.4), TASKS[-1]):
        a, b, c = task.sample(50, 7), task.sample(50, 7), task.sample(50, 8)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert not np.array_equal(a[0], c[0])
        clone = pickle.loads(pickle.dumps(task))
        assert np.array_equal(clone.sample(50, 7)[1], a[1])
        assert a[0].dtype == np.float64 and a[0].shape == (50, task.dim_x) and a[1].shape == (50, task.dim_y)


def test_dense_ids_round_trip_and_are_canonical():
    for task in (multinormal_dense(2, 2, rho=0.5), multinormal_dense(7, 3, mi=2.5), multinormal_dense(3, 3, rho=-0.1)):
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
    assert multinormal_dense(2, 2, rho=0.5).id == "multinormal-dense-2x2-rho0.5"
    assert multinormal_dense(5, 5, mi=1.0).id == "multinormal-dense-5x5-mi1"
    assert from_id("multinormal-dense-2x2-mi1.0") is None
    assert from_id("multinormal-block-3x3") is None
    assert from_id("gaussian-pairs-2x2-mi1") is None


def test_catalogue():
    start = time.perf_counter()
    tasks = list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids)) == 33
    for dims in mn.BMI_DENSE_DIMS:
        assert f"multinormal-dense-{dims[0]}x{dims[1]}-rho0.5" in ids
    for task in tasks:
        assert task.version == "1" and task.truth == "closed form" and task.id == task.id.lower()
        assert task.mi > 0


SQUARE = np.eye(3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim_x": 0, "dim_y": 1, "rho": 0.5}, "dim_x must be an integer >= 1"),
        ({"dim_x": 1, "dim_y": True, "rho": 0.5}, "dim_y must be an integer >= 1"),
        ({"dim_x": 2, "dim_y": 2, "rho": -0.34}, r"rho must be in the open interval .* = \(-0.333333, 1\)"),
        ({"dim_x": 1, "dim_y": 1, "rho": 1.0}, "rho must be in the open interval"),
        ({"dim_x": 1, "dim_y": 1, "rho": float("nan")}, "rho must be in the open interval"),
        ({"dim_x": 1, "dim_y": 1, "rho": "0.5"}, "rho must be in the open interval"),
        ({"dim_x": 2, "dim_y": 2}, "exactly one"),
        ({"dim_x": 2, "dim_y": 2, "rho": 0.5, "mi": 1.0}, "exactly one"),
        ({"dim_x": 2, "dim_y": 2, "mi": -0.1}, r"mi must be a finite number in \[0, "),
        ({"dim_x": 2, "dim_y": 2, "mi": float("inf")}, "mi must be a finite number"),
        ({"dim_x": 2, "dim_y": 2, "mi": 20.0}, "unreachable"),
    ],
)
def test_dense_impossible_parameters_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        multinormal_dense(**kwargs)


@pytest.mark.parametrize(
    ("covariance", "dim_x", "name", "message"),
    [
        (np.eye(2), 1, "Upper", "name must be"),
        (np.eye(2), 1, "has space", "name must be"),
        (np.eye(2), 1, "a+b", "name must be"),
        (np.eye(2), 1, "dense-2x2", "name must be"),
        (np.eye(2), 1, 3, "name must be"),
        ([["a", "b"], ["c", "d"]], 1, "x", "covariance must be a square numeric matrix"),
        (np.eye(2)[:1], 1, "x", "square matrix"),
        (np.eye(1), 1, "x", "square matrix of size >= 2"),
        (np.ones(4), 1, "x", "square matrix"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), 1, "x", "finite"),
        (SQUARE, 0, "x", r"dim_x must be an integer in \[1, 2\]"),
        (SQUARE, 3, "x", r"dim_x must be an integer in \[1, 2\]"),
        (SQUARE, 1.0, "x", "dim_x must be an integer"),
        (np.array([[1.0, 0.5], [0.4, 1.0]]), 1, "x", "symmetric"),
        (np.array([[1.0, 0.0], [0.0, 0.0]]), 1, "x", "variance of coordinate 1"),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), 1, "x", "positive definite"),
        (block_covariance(3, 3, within_x=0.5, within_y=0.5, cross=0.6, n_pairs=3), 3, "x", "positive definite"),
        (ar1_covariance(4, 1 - 1e-10), 2, "x", r"condition number .* valid range is \[1, 1e\+10\]"),
    ],
)
def test_general_impossible_parameters_name_the_parameter(covariance, dim_x, name, message):
    with pytest.raises(ValueError, match=message):
        multinormal(covariance, dim_x, name=name)
