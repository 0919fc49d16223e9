"""Gaussian-copula mutual information (Ince et al. 2017), an example of a third-party mibench estimator.

The estimator replaces each column of x and of y by its normal scores, ``Phi^-1(rank / (n + 1))``, and returns the
MI of the Gaussian with the covariance of the transformed sample:

    I = 1/2 log(det S_x det S_y / det S)

(Ince, Giordano, Kayser, Rousselet, Gross & Schyns 2017, "A statistical framework for neuroimaging data analysis
based on mutual information estimated via a Gaussian copula", Human Brain Mapping 38(3), 1541-1573.)

What it measures: MI is invariant to strictly monotone maps of each coordinate, and so is the rank transform, so
the estimate is the same for ``(x, y)`` and for any such map of it. When some per-coordinate monotone map makes
``(x, y)`` jointly Gaussian (a Gaussian task, or a Gaussian task seen through monotone transforms), the normal
scores recover that Gaussian and the estimate converges to the true MI. When x and y are one-dimensional it
converges to a lower bound in general: their normal scores have exactly Gaussian marginals and, for a given
covariance, the Gaussian has the largest joint entropy. In several dimensions the scores' marginals within x (or
within y) need not be jointly Gaussian and the value is then neither a bound nor consistent.

The bias correction (on by default, as in Ince et al.'s implementation) removes the bias of the log-determinants of
a sample covariance of ``n`` Gaussian rows in ``d`` dimensions (Misra, Singh & Demchuk 2005, "Estimation of the
entropy of a multivariate normal distribution", Journal of Multivariate Analysis 92, 324-342):
``E[log det S] = log det Sigma + sum_{j=1..d} psi((n - j) / 2) + d log(2 / (n - 1))`` for the ``n - 1``-normalised
``S``. In the MI the ``d log(...)`` terms cancel, leaving

    I_corrected = I - 1/2 [ sum_{j<=d_x} psi_j + sum_{j<=d_y} psi_j - sum_{j<=d_x+d_y} psi_j ],  psi_j = psi((n-j)/2)

exact in expectation for Gaussian rows with the same covariance; for normal scores an approximation.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import digamma, ndtri
from scipy.stats import rankdata

from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample

__all__ = ["GaussianCopulaMI", "normal_scores"]


def normal_scores(data: np.ndarray) -> np.ndarray:
    """Each column replaced by ``Phi^-1(rank / (n + 1))`` (ties get their average rank): standard normal marginals
    that keep only the order of the values, the empirical Gaussian copula of the columns."""
    ranks = rankdata(data, axis=0, method="average")
    return ndtri(ranks / (data.shape[0] + 1))


def _half_log_det(name: str, cov: np.ndarray) -> float:
    """``1/2 log det cov`` through a Cholesky factor; a singular covariance is a ValueError naming ``name``."""
    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"GaussianCopulaMI: the covariance of the normal scores of {name} is singular (columns that are "
            "monotone functions of each other, or too few distinct values)"
        ) from None
    return float(np.sum(np.log(np.diag(factor))))


class GaussianCopulaMI(BaseEstimator):
    """Gaussian-copula MI in nats: the Gaussian MI of the columns' normal scores (see the module docstring).

    Args:
        bias_correction: subtract the Gaussian log-determinant bias (Misra, Singh & Demchuk 2005), as Ince et al.
            do by default; with it the estimate can be slightly negative on independent data.

    Deterministic; invariant to strictly increasing maps of each column and to the order of the rows and columns.
    Needs ``n >= dim_x + dim_y + 2`` rows and no constant column.
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, min_samples=4)

    def __init__(self, *, bias_correction: bool = True) -> None:
        self.bias_correction = bias_correction

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus ``{"plug_in": ..., "bias_correction": ...}`` (nats; the correction is subtracted)."""
        if not isinstance(self.bias_correction, bool):
            raise ValueError(f"bias_correction must be True or False, got {self.bias_correction!r}")
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples)
        n, dx, dy = x2.shape[0], x2.shape[1], y2.shape[1]
        d = dx + dy
        if n < d + 2:
            raise ValueError(
                f"GaussianCopulaMI needs at least dim_x + dim_y + 2 = {d + 2} samples for a non-singular "
                f"covariance, got n={n}"
            )
        for name, data in (("x", x2), ("y", y2)):
            constant = np.flatnonzero(np.ptp(data, axis=0) == 0)
            if constant.size:
                raise ValueError(
                    f"GaussianCopulaMI: {name} has constant column(s) {constant.tolist()}; a constant carries no "
                    "information (drop those columns)"
                )
        scores = np.hstack([normal_scores(x2), normal_scores(y2)])
        cov = np.cov(scores, rowvar=False).reshape(d, d)
        plug_in = _half_log_det("x", cov[:dx, :dx]) + _half_log_det("y", cov[dx:, dx:]) - _half_log_det("(x, y)", cov)
        correction = 0.0
        if self.bias_correction:
            psi = digamma((n - np.arange(1, d + 1)) / 2.0) / 2.0
            correction = float(psi[:dx].sum() + psi[:dy].sum() - psi.sum())
        return Estimate(plug_in - correction, {"plug_in": plug_in, "bias_correction": correction})
