"""The Gaussian baseline: the MI of a Gaussian with the sample's covariance.

Exact (and the maximum-likelihood estimate) when (X, Y) is jointly Gaussian. It sees only linear dependence
(the covariance), so it misses dependence without correlation entirely and is *not* a bound either way for other
distributions: a binary symmetric channel with flip probability e has I <= log 2, while the Gaussian value
-1/2 log(1 - (1 - 2e)^2) grows without bound as e -> 0. That makes it the baseline any serious estimator should
beat on non-Gaussian tasks.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mibench.estimators._scale import rescale_columns
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample

__all__ = ["GaussianMI", "canonical_correlations"]

#: Canonical correlations are clipped to this value, so perfectly linearly related data gives a large finite
#: MI (about 17.6 nats per such pair) instead of infinity.
RHO_MAX = 1.0 - 1e-15

#: A column whose component orthogonal to the other columns (|R_jj| of the QR) is below this fraction of the
#: largest column norm makes the marginal covariance numerically singular.
_RANK_TOLERANCE = 1e-12


def _orthonormal_basis(name: str, data: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the centred columns of ``data`` (thin QR), or ValueError if they are dependent.

    Columns of extreme magnitude are rescaled by a power of two first (the basis does not depend on the columns'
    scales; their squared norms would overflow or underflow otherwise).
    """
    data, _ = rescale_columns(data)
    spread = np.ptp(data, axis=0)
    constant = np.flatnonzero(spread == 0)
    if constant.size:
        raise ValueError(
            f"GaussianMI: {name} has constant column(s) {constant.tolist()}; the covariance is singular "
            "(drop those columns: a constant carries no information)"
        )
    centred = data - data.mean(axis=0)
    q, r = np.linalg.qr(centred)
    diag = np.abs(np.diag(r))
    scale = np.linalg.norm(centred, axis=0).max()
    dependent = np.flatnonzero(diag <= _RANK_TOLERANCE * scale)
    if dependent.size:
        raise ValueError(
            f"GaussianMI: the columns of {name} are linearly dependent (column(s) {dependent.tolist()} are "
            f"combinations of earlier ones), so the covariance of {name} is singular"
        )
    return q


def canonical_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample canonical correlations of ``x`` (n, dx) and ``y`` (n, dy), descending, ``min(dx, dy)`` values.

    They are the singular values of ``Q_x^T Q_y`` with ``Q_x``, ``Q_y`` orthonormal bases of the centred data
    (Bjoerck & Golub 1973), which is numerically stabler than forming and inverting covariance matrices.
    """
    qx = _orthonormal_basis("x", x)
    qy = _orthonormal_basis("y", y)
    rho = np.linalg.svd(qx.T @ qy, compute_uv=False)
    return np.clip(rho, 0.0, RHO_MAX)


class GaussianMI(BaseEstimator):
    r"""MI of the Gaussian with the sample covariance, in nats (no hyperparameters).

    .. math::

        \hat I = -\tfrac12 \sum_i \log(1 - \rho_i^2)
              = \tfrac12 \log \frac{\det \Sigma_{xx} \det \Sigma_{yy}}{\det \Sigma}

    over the sample canonical correlations :math:`\rho_i` of x and y. For a bivariate Gaussian this is the
    textbook :math:`-\tfrac12\log(1-\rho^2)` (Cover & Thomas, Elements of Information Theory); the general
    form follows because invertible linear maps within x and within y leave MI unchanged and bring the
    covariance to canonical form (Hotelling 1936). It is therefore invariant to invertible affine maps of x
    and of y. Canonical correlations equal to 1 (y a linear function of x) are clipped to ``1 - 1e-15`` so the
    value stays finite.

    Raises ``ValueError`` when the covariance of x or of y is singular: fewer than ``dim_x + dim_y + 2``
    samples, a constant column, or linearly dependent columns.
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, min_samples=3)

    def __init__(self) -> None:
        pass

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus ``{"canonical_correlations": [...]}`` (descending)."""
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples)
        n, dim = x2.shape[0], x2.shape[1] + y2.shape[1]
        if n < dim + 2:
            raise ValueError(
                f"GaussianMI needs at least dim_x + dim_y + 2 = {dim + 2} samples for a non-singular "
                f"covariance, got n={n}"
            )
        rho = canonical_correlations(x2, y2)
        value = float(-0.5 * np.sum(np.log1p(-rho) + np.log1p(rho)))
        return Estimate(value, {"canonical_correlations": rho.tolist()})
