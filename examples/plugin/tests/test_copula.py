"""Tests of the Gaussian-copula estimator: mibench's conformance kit, accuracy against known truths with
``assert_mi_close``, the exact invariance to monotone maps, and the registration mibench reads.

The accuracy tests use ``tol = 0``: the assertion is that no bias is detectable over the seeds. Its only allowance
is statistical, ``t_{0.995, k-1} x SD / sqrt(k)`` over ``k`` seeds (two-sided level 0.01, the default of
``assert_mi_close``), so an unbiased estimator fails it with probability 0.01 at most, once and for all as the seeds
are fixed. That claim is what the estimator promises on these tasks: it is consistent there (the normal scores of a
Gaussian, or of any monotone map of one, converge to that Gaussian), with a finite-sample bias of order 1/n, small
against the SD of order 1/sqrt(n) of one estimate at the sizes used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mibench_example_plugin import GaussianCopulaMI, normal_scores

import mibench
from mibench.pytest_plugin import assert_mi_close
from mibench.testing import parametrize_with_checks


@parametrize_with_checks([GaussianCopulaMI(), GaussianCopulaMI(bias_correction=False)])
def test_conformance(estimator, check):
    check(estimator)


def test_no_detectable_bias_on_a_gaussian_task():
    assert_mi_close(GaussianCopulaMI(), "gaussian-pairs-2x2-mi1", n=2000, seeds=10)


@pytest.mark.parametrize("transform", ["half_cube", "bimodal"])
def test_no_detectable_bias_on_a_monotone_transform_of_a_gaussian(transform):
    """The Gaussian baseline (linear dependence only) is biased here; the copula estimator is not."""
    task = f"{transform}-gaussian-pairs-2x2-mi1"
    assert_mi_close(GaussianCopulaMI(), task, n=2000, seeds=10)
    with pytest.raises(AssertionError, match="mean estimate"):
        assert_mi_close("gaussian", task, n=2000, seeds=10)


def test_monotone_maps_leave_the_estimate_unchanged():
    """The transformed task applies its map to the base task's sample of the same seed, and ranks ignore
    strictly increasing maps: the estimates agree exactly, not just statistically."""
    base = mibench.get_task("gaussian-pairs-2x2-mi1").sample(1000, seed=7)
    mapped = mibench.get_task("half_cube-gaussian-pairs-2x2-mi1").sample(1000, seed=7)
    assert not np.allclose(base[0], mapped[0])
    assert GaussianCopulaMI().estimate(*mapped) == GaussianCopulaMI().estimate(*base)


def test_close_on_the_suite_tasks(mibench_task, mibench_seeds):
    """Every task of the suite the plugin's options select (`smoke` by default: Gaussian tasks)."""
    assert_mi_close(GaussianCopulaMI(), mibench_task, n=1000, seeds=mibench_seeds)


def test_normal_scores_are_standard_normal_quantiles_of_the_ranks():
    x = np.array([[3.0, -1.0], [1.0, 5.0], [2.0, 5.0]])
    scores = normal_scores(x)
    from scipy.stats import norm

    np.testing.assert_allclose(scores[:, 0], norm.ppf(np.array([3, 1, 2]) / 4))
    np.testing.assert_allclose(scores[:, 1], norm.ppf(np.array([1, 2.5, 2.5]) / 4))  # a tie: the average rank


def test_bias_correction_is_the_wishart_log_determinant_term():
    """The correction subtracted is 1/2 [sum_{j<=dx} psi((n-j)/2) + sum_{j<=dy} ... - sum_{j<=dx+dy} ...]."""
    from scipy.special import digamma

    x, y = mibench.get_task("gaussian-pairs-2x1-mi0.5").sample(50, seed=0)
    info = GaussianCopulaMI().estimate_with_info(x, y)
    psi = [digamma((50 - j) / 2) / 2 for j in (1, 2, 3)]
    assert info.info["bias_correction"] == pytest.approx(psi[0] + psi[1] + psi[0] - sum(psi), rel=1e-12)
    assert info.value == pytest.approx(info.info["plug_in"] - info.info["bias_correction"], rel=1e-12)
    assert GaussianCopulaMI(bias_correction=False).estimate(x, y) == pytest.approx(info.info["plug_in"], rel=1e-12)


def test_bad_input_is_a_clear_error():
    x = np.random.default_rng(0).standard_normal((5, 2))
    with pytest.raises(ValueError, match="at least dim_x \\+ dim_y \\+ 2 = 6 samples"):
        GaussianCopulaMI().estimate(x, x[:, :2] * 2)
    with pytest.raises(ValueError, match="constant column"):
        GaussianCopulaMI().estimate(np.ones(10), np.arange(10.0))
    with pytest.raises(ValueError, match="bias_correction must be True or False"):
        GaussianCopulaMI(bias_correction="yes").estimate(np.arange(10.0), np.arange(10.0) ** 3)


def test_registered_with_mibench_under_its_entry_point_name():
    """Holds once the package is installed (its entry point declares the name)."""
    estimator = mibench.get_estimator("copula-gaussian", bias_correction=False)
    assert type(estimator) is GaussianCopulaMI and estimator.bias_correction is False
    assert "copula-gaussian" in mibench.list_estimators()
    assert math.isfinite(estimator.estimate(*mibench.get_task("gaussian-pairs-1x1-mi1").sample(200, seed=0)))
