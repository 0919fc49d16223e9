"""Student-t tasks: truths by independent routes, the correction's sign and limit, the sampler's law, bad
parameters."""

from __future__ import annotations

import math
import pickle
import time

import numpy as np
import pytest
from scipy import stats

from mibench.synthetic.student import catalogue_tasks, correction, from_id, student_t


def _dispersion(task):
    p = task.params
    dx, dy = p["dim_x"], p["dim_y"]
    s = np.eye(dx + dy)
    for i in range(p["n_pairs"]):
        s[i, dx + i] = s[dx + i, i] = p["rho"]
    return s


def _mi_from_scipy_entropies(task):
    # I = h(X) + h(Y) - h(X, Y) with scipy's multivariate-t entropies (marginals: same nu, sub-dispersions).
    s, dx, nu = _dispersion(task), task.dim_x, task.params["nu"]
    h = lambda m: stats.multivariate_t(np.zeros(len(m)), m, df=nu).entropy()  # noqa: E731
    return h(s[:dx, :dx]) + h(s[dx:, dx:]) - h(s)


@pytest.mark.parametrize(
    ("dim", "nu", "expected"),
    [
        (1, 1, 0.224171),
        (2, 1, 0.431946),
        (2, 2, 0.193147),
        (3, 2, 0.290922),
        (3, 3, 0.178712),
        (5, 2, 0.448151),
        (5, 3, 0.298544),
    ],
)
def test_bmi_identity_reference_values(dim, nu, expected):
    # bmi's published values (Czyż et al., "Beyond Normal", NeurIPS 2023), to 6 decimals.
    task = student_t(dim, dim, nu=nu)
    assert task.mi == pytest.approx(expected, abs=5e-7)
    assert task.id == f"student-identity-{dim}x{dim}-nu{nu}"


TASKS = [
    student_t(1, 1, nu=1),
    student_t(2, 2, nu=1),
    student_t(3, 2, nu=3, rho=0.6),
    student_t(2, 2, nu=5, mi=1.5),
    student_t(5, 5, nu=2, dispersion_mi=1.0),
    student_t(4, 3, nu=2.5, rho=-0.5, n_pairs=2),
]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_truth_equals_scipy_entropies(task):
    assert task.mi == pytest.approx(_mi_from_scipy_entropies(task), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_truth_equals_monte_carlo_of_pointwise_mi(task):
    # I = E[log p(x,y) - log p(x) - log p(y)] with scipy.stats.multivariate_t densities (the marginals of a
    # multivariate t are t with the same nu and the sub-dispersions) on the task's own samples. Accept within 5
    # Monte-Carlo standard errors (two-sided false-alarm probability ~6e-7 per task).
    n = 200_000
    x, y = task.sample(n, seed=21)
    s, dx, nu = _dispersion(task), task.dim_x, task.params["nu"]
    joint = stats.multivariate_t(np.zeros(len(s)), s, df=nu).logpdf(np.hstack([x, y]))
    marg_x = stats.multivariate_t(np.zeros(dx), s[:dx, :dx], df=nu).logpdf(x)
    marg_y = stats.multivariate_t(np.zeros(task.dim_y), s[dx:, dx:], df=nu).logpdf(y)
    pointwise = joint - marg_x - marg_y
    se = pointwise.std(ddof=1) / math.sqrt(n)
    assert abs(pointwise.mean() - task.mi) < 5 * se


def test_correction_is_positive_and_vanishes_as_nu_grows():
    grid = np.geomspace(0.5, 1e4, 80)
    for dx, dy in [(1, 1), (1, 5), (2, 2), (3, 7), (10, 10), (25, 25)]:
        values = np.array([correction(nu, dx, dy) for nu in grid])
        assert np.all(values > 0)
        assert np.all(np.diff(values) < 0)
        assert values[-1] < 1e-5
        # The decay is ~ m n / (2 nu^2) (the module docstring's claim), checked at nu = 1e4 to 2%.
        assert correction(1e4, dx, dy) * 1e4**2 == pytest.approx(dx * dy / 2, rel=0.02)


def test_task_mi_splits_into_gaussian_part_and_correction():
    for nu in (1, 3, 30):
        c = correction(nu, 2, 3)
        assert student_t(2, 3, nu=nu).mi == c
        assert student_t(2, 3, nu=nu, rho=0.6).mi == pytest.approx(-math.log(1 - 0.36) + c, rel=1e-12)
        assert student_t(2, 3, nu=nu, dispersion_mi=1.0).mi == pytest.approx(1.0 + c, rel=1e-12)
        total = student_t(2, 3, nu=nu, mi=c + 0.7)
        assert total.mi == c + 0.7
        assert -math.log1p(-(total.params["rho"] ** 2)) == pytest.approx(0.7, rel=1e-10)  # 2 pairs share 0.7 nats
    assert student_t(2, 2, nu=3, mi=correction(3, 2, 2)).params["rho"] == 0.0


def _ks_checks(task, n, seed):
    """p-values of KS tests of the sampler against the multivariate t it claims to be."""
    x, y = task.sample(n, seed=seed)
    v = np.hstack([x, y])
    s, nu, d = _dispersion(task), task.params["nu"], task.dim_x + task.dim_y
    a = np.random.default_rng(0).standard_normal(d)
    q = np.einsum("ij,jk,ik->i", v, np.linalg.inv(s), v) / d
    return [
        # a 1-D marginal: t with nu degrees of freedom, unit scale
        stats.kstest(x[:, 0], stats.t(nu).cdf).pvalue,
        stats.kstest(y[:, -1], stats.t(nu).cdf).pvalue,
        # a fixed projection a'v: t with scale sqrt(a' S a) (checks the dispersion, cross terms included)
        stats.kstest(v @ a, stats.t(nu, scale=math.sqrt(a @ s @ a)).cdf).pvalue,
        # the quadratic form v' S^-1 v / d: F(d, nu) -- only if one W is shared by x and y
        stats.kstest(q, stats.f(d, nu).cdf).pvalue,
    ]


@pytest.mark.parametrize(
    "task",
    [student_t(2, 2, nu=1), student_t(3, 2, nu=3, rho=0.6), student_t(2, 2, nu=2.5, mi=1.0)],
    ids=lambda t: t.id,
)
def test_sampler_has_the_claimed_law(task):
    # Heavy tails: distribution-free KS tests instead of moments; each must not reject at level 1e-4.
    assert min(_ks_checks(task, 20_000, seed=4)) > 1e-4


def test_quadratic_form_check_detects_independent_mixing_variables():
    # Power check of the F test above: with a separate W for x and for y (identity dispersion, 2x2, nu = 3) the
    # law is not a multivariate t, and the same KS test at the same n rejects it.
    n, nu = 20_000, 3.0
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 2)) * np.sqrt(nu / rng.chisquare(nu, n))[:, None]
    y = rng.standard_normal((n, 2)) * np.sqrt(nu / rng.chisquare(nu, n))[:, None]
    q = (np.sum(x**2, axis=1) + np.sum(y**2, axis=1)) / 4
    assert stats.kstest(q, stats.f(4, nu).cdf).pvalue < 1e-4


def test_sampler_is_deterministic_picklable_and_seeds_differ():
    task = student_t(2, 3, nu=2, rho=0.5)
    a, b, c = task.sample(100, 7), task.sample(100, 7), task.sample(100, 8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert np.array_equal(pickle.loads(pickle.dumps(task)).sample(100, 7)[1], a[1])
    assert a[0].dtype == np.float64 and a[0].shape == (100, 2) and a[1].shape == (100, 3)
    assert np.all(np.isfinite(student_t(1, 1, nu=0.5).sample(100_000, 0)[0]))  # the heaviest allowed tails


def test_ids_round_trip_and_are_canonical():
    for task in (*TASKS, *catalogue_tasks()):
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
    assert student_t(2, 2, nu=3, dispersion_mi=1.0).id == "student-pairs-2x2-nu3-dmi1"
    assert student_t(3, 2, nu=2.5, mi=1.0, n_pairs=1).id == "student-pairs-3x2-k1-nu2.5-mi1"
    assert student_t(1, 1, nu=1, rho=-0.5).id == "student-pairs-1x1-nu1-rho-0.5"
    assert from_id("student-identity-2x2-nu1.0") is None
    assert from_id("student-identity-2x2-nu1-rho0.5") is None
    assert from_id("student-pairs-2x2-nu1") is None
    assert from_id("student-identity-3x2-k1-nu1") is None
    assert from_id("gaussian-pairs-2x2-mi1") is None


def test_catalogue():
    start = time.perf_counter()
    tasks = list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids)) == 17
    for dim, nu in [(1, 1), (2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3)]:
        assert f"student-identity-{dim}x{dim}-nu{nu}" in ids
    for nu in (1, 2, 3, 5, 10, 30):
        assert f"student-pairs-2x2-nu{nu}-dmi1" in ids
    for dim in (1, 2, 5, 10, 25):
        assert f"student-pairs-{dim}x{dim}-nu3-dmi1" in ids
    assert all(t.version == "1" and t.family == "student-t" and t.truth == "closed form" for t in tasks)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim_x": 0, "dim_y": 1, "nu": 1}, "dim_x must be an integer >= 1"),
        ({"dim_x": 1, "dim_y": 1.5, "nu": 1}, "dim_y must be an integer >= 1"),
        ({"dim_x": 1, "dim_y": 1, "nu": 0.4}, r"nu \(degrees of freedom\) must be a number in \[0.5, 10000\]"),
        ({"dim_x": 1, "dim_y": 1, "nu": -1}, r"nu .* must be a number in \[0.5, 10000\]"),
        ({"dim_x": 1, "dim_y": 1, "nu": 2e4}, r"nu .* must be a number in \[0.5, 10000\]"),
        ({"dim_x": 1, "dim_y": 1, "nu": float("inf")}, "nu"),
        ({"dim_x": 1, "dim_y": 1, "nu": float("nan")}, "nu"),
        ({"dim_x": 1, "dim_y": 1, "nu": True}, "nu"),
        ({"dim_x": 1, "dim_y": 1, "nu": 1, "rho": 1.0}, r"rho must be in the open interval \(-1, 1\)"),
        ({"dim_x": 1, "dim_y": 1, "nu": 1, "rho": float("nan")}, "rho must be in the open interval"),
        ({"dim_x": 2, "dim_y": 2, "nu": 1, "mi": 0.1}, r"unreachable .* smallest MI is the correction c = 0.431946"),
        ({"dim_x": 2, "dim_y": 2, "nu": 1, "mi": float("inf")}, "mi must be a finite number"),
        ({"dim_x": 2, "dim_y": 2, "nu": 1, "dispersion_mi": -0.1}, "dispersion_mi must be >= 0"),
        ({"dim_x": 2, "dim_y": 2, "nu": 1, "dispersion_mi": "1"}, "dispersion_mi must be a finite number"),
        ({"dim_x": 2, "dim_y": 2, "nu": 1, "rho": 0.5, "mi": 1.0}, "at most one"),
        ({"dim_x": 2, "dim_y": 2, "nu": 1, "n_pairs": 1}, "n_pairs applies only"),
        ({"dim_x": 2, "dim_y": 3, "nu": 1, "rho": 0.5, "n_pairs": 3}, r"n_pairs .* must be an integer in \[1, 2\]"),
        ({"dim_x": 2, "dim_y": 3, "nu": 1, "rho": 0.5, "n_pairs": 0}, r"n_pairs .* must be an integer in \[1, 2\]"),
    ],
)
def test_impossible_parameters_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        student_t(**kwargs)
