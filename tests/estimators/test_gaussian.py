"""GaussianMI: agreement with the log-det formula, accuracy, affine invariance, input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mibench.estimators.gaussian import GaussianMI
from tests.estimators.scales import EXACT_SCALES, ROUNDED_SCALES, assert_same_estimate, unit_sample

RHOS = np.array([0.9, 0.5, 0.0])


def gaussian_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """x_i, y_i standard normal with corr(x_i, y_i) = RHOS[i], pairs independent."""
    x = rng.standard_normal((n, RHOS.size))
    y = RHOS * x + np.sqrt(1 - RHOS**2) * rng.standard_normal((n, RHOS.size))
    return x, y


def logdet_mi(x: np.ndarray, y: np.ndarray) -> float:
    """1/2 log(det S_xx det S_yy / det S) from the sample covariance S of (x, y)."""
    dx = x.shape[1]
    cov = np.cov(np.hstack([x, y]), rowvar=False)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))


@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (3, 2), (4, 6)])
def test_equals_logdet_formula_on_the_same_sample(dx: int, dy: int) -> None:
    rng = np.random.default_rng(dx * 10 + dy)
    x = rng.standard_normal((500, dx))
    y = x @ rng.standard_normal((dx, dy)) + 2.0 * rng.standard_normal((500, dy))
    assert GaussianMI().estimate(x, y) == pytest.approx(logdet_mi(x, y), abs=1e-10)


def test_recovers_multi_pair_gaussian_mi() -> None:
    truth = -0.5 * float(np.sum(np.log(1 - RHOS**2)))
    n = 100_000
    x, y = gaussian_pairs(np.random.default_rng(0), n)
    estimate = GaussianMI().estimate_with_info(x, y)
    # Asymptotics of the Gaussian MLE: the sample canonical correlation r of a pair has variance
    # (1 - rho^2)^2 / n, and dI/drho = rho / (1 - rho^2), so Var(I_hat) ~ sum rho_i^2 / n; its bias is about
    # dim_x * dim_y / (2n) (the chi-square bias of the likelihood-ratio statistic). 4 SD plus that bias.
    sd = math.sqrt(float(np.sum(RHOS**2)) / n)
    bias = RHOS.size**2 / (2 * n)
    assert abs(estimate.value - truth) <= 4 * sd + bias
    rho_hat = np.array(estimate.info["canonical_correlations"])
    np.testing.assert_allclose(rho_hat, RHOS, atol=0.02)
    assert list(rho_hat) == sorted(rho_hat, reverse=True)


def test_invariant_to_affine_maps() -> None:
    rng = np.random.default_rng(1)
    x, y = gaussian_pairs(rng, 2000)
    base = GaussianMI().estimate(x, y)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)  # well conditioned, invertible
    assert GaussianMI().estimate(x @ a + 100.0, y) == pytest.approx(base, abs=1e-10)
    assert GaussianMI().estimate(x, -5.0 * y[:, ::-1] + 1e3) == pytest.approx(base, abs=1e-10)
    assert GaussianMI().estimate(y, x) == pytest.approx(base, abs=1e-10)  # symmetric


def test_independent_and_linearly_dependent() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5000, 2))
    assert 0 <= GaussianMI().estimate(x, rng.standard_normal((5000, 2))) < 0.005
    # y an exact linear function of x: infinite MI in theory; clipped to a large finite value
    value = GaussianMI().estimate(x, x @ np.array([[1.0], [2.0]]))
    assert math.isfinite(value) and value > 10


def test_no_hyperparameters() -> None:
    assert GaussianMI().get_params() == {}
    assert repr(GaussianMI()) == "GaussianMI()"
    assert GaussianMI.tags.min_samples == 3


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((10, 1)), np.zeros((9, 1)), "same number of samples"),
        (np.zeros((10, 1, 2)), np.zeros((10, 1)), "1-D or 2-D"),
        (np.array([0.0, 1.0, np.inf, 3.0, 4.0, 5.0]), np.arange(6.0), "NaN or infinite"),
        (np.arange(2.0), np.arange(2.0), "too few samples"),
    ],
)
def test_bad_input(x: np.ndarray, y: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GaussianMI().estimate(x, y)


def test_singular_covariance_is_rejected() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 2))
    y = rng.standard_normal((50, 2))
    constant = x.copy()
    constant[:, 1] = 4.2
    with pytest.raises(ValueError, match=r"x has constant column\(s\) \[1\]"):
        GaussianMI().estimate(constant, y)
    dependent = np.hstack([y, y[:, :1] - 3 * y[:, 1:]])
    with pytest.raises(ValueError, match="columns of y are linearly dependent"):
        GaussianMI().estimate(x, dependent)
    with pytest.raises(ValueError, match=r"at least dim_x \+ dim_y \+ 2 = 6 samples"):
        GaussianMI().estimate(x[:5], y[:5])
    assert math.isfinite(GaussianMI().estimate(x[:6], y[:6]))


@pytest.mark.parametrize("scale", EXACT_SCALES + ROUNDED_SCALES)
def test_extreme_scales_give_the_unscaled_estimate(scale: float) -> None:
    """x * 1e200 used to overflow the column norms and be refused as linearly dependent."""
    x, y = unit_sample()
    est = GaussianMI()
    assert_same_estimate(est.estimate(x * scale, y * scale), est.estimate(x, y), scale)
    # one variable scaled, the other not (the estimator is invariant to each column's scale)
    assert_same_estimate(est.estimate(x * scale, y), est.estimate(x, y), scale)
