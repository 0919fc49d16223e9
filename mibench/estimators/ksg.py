"""The Kraskov-Stoegbauer-Grassberger (KSG) k-nearest-neighbour MI estimator, algorithm 1.

Reference: A. Kraskov, H. Stoegbauer, P. Grassberger, "Estimating mutual information", Phys. Rev. E 69, 066138
(2004), eq. (8).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import digamma

from mibench.estimators import _neighbors
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample

__all__ = ["KSG"]

NeighbourSearch = Literal["auto", "tree", "brute"]


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"KSG: k (the number of nearest neighbours) must be an integer >= 1, got {k!r}")
    return int(k)


def _ksg_neighbour_stats(
    x: np.ndarray, y: np.ndarray, k: int, method: NeighbourSearch = "auto"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """``(eps, n_x, n_y, method_used)`` for validated 2-D float arrays.

    ``eps[i]`` is the max-norm distance from point i to its k-th nearest other point in the joint space;
    ``n_x[i]`` / ``n_y[i]`` the numbers of other points strictly closer than ``eps[i]`` in x / y.
    ``method`` forces the search (``"tree"`` or ``"brute"``); ``"auto"`` uses brute force from
    :data:`~mibench.estimators._neighbors.BRUTE_FORCE_MIN_DIM` joint dimensions on.

    Raises:
        ValueError: some ``eps[i]`` is 0 (at least k + 1 identical joint points).
    """
    if method == "auto":
        method = "brute" if x.shape[1] + y.shape[1] >= _neighbors.BRUTE_FORCE_MIN_DIM else "tree"
    if method == "brute":
        eps, n_x, n_y = _neighbors.ksg_counts_brute_force(x, y, k)
    elif method == "tree":
        eps = _neighbors.kth_neighbour_distance_tree(np.hstack([x, y]), k)
        n_x = n_y = np.empty(0, dtype=np.int64)  # counted below, once eps is known to be positive
    else:
        raise ValueError(f"KSG: unknown neighbour search {method!r}; use 'auto', 'tree' or 'brute'")
    ties = int(np.count_nonzero(eps == 0))
    if ties:
        raise ValueError(
            f"KSG is undefined on tied samples: {ties} of {x.shape[0]} points have at least k={k} exact "
            "duplicates in the joint (x, y) space, so their k-th neighbour distance is 0 (typical of "
            "discrete or rounded data). Add a little continuous noise to break ties, or use an estimator "
            "for discrete data."
        )
    if method == "tree":
        n_x = _neighbors.count_within(x, eps)
        n_y = _neighbors.count_within(y, eps)
    return eps, n_x, n_y, method


class KSG(BaseEstimator):
    r"""Kraskov-Stoegbauer-Grassberger k-NN mutual information estimator (algorithm 1), in nats.

    .. math::

        \hat I(X;Y) = \psi(k) + \psi(N)
            - \frac{1}{N}\sum_{i=1}^{N} \big[\psi(n_x(i) + 1) + \psi(n_y(i) + 1)\big]

    with the max-norm in every space, :math:`\varepsilon_i` the distance from :math:`(x_i, y_i)` to its k-th
    nearest other point in the joint space, and :math:`n_x(i)`, :math:`n_y(i)` the numbers of other points
    strictly closer than :math:`\varepsilon_i` to :math:`x_i` in the x space and to :math:`y_i` in the y space
    (Kraskov, Stoegbauer & Grassberger 2004, Phys. Rev. E 69, 066138, eq. 8). No noise is added, so the value
    is deterministic and agrees with the other public implementations (NPEET, ennemi) on the same data.

    The estimator is consistent for continuous distributions and nearly unbiased for independent variables; it
    underestimates large MI in high dimension (a known property the benchmark shows). It is undefined when
    k + 1 joint points coincide (discrete data) and raises ``ValueError`` there.

    Neighbour search: cKDTree for the joint k-th neighbour, sorting for 1-D marginals and scikit-learn's
    KD-tree for the others; blocked brute force from 20 joint dimensions on (trees prune nothing there).

    Args:
        k: number of nearest neighbours (3 is the usual choice: lower variance with larger k, lower bias with
            smaller k).
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, min_samples=4)

    def __init__(self, *, k: int = 3):
        self.k = k

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        """KSG estimate of I(X;Y) in nats for the joint sample ``(x[i], y[i])``."""
        return self.estimate_with_info(x, y).value

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus ``{"k", "neighbour_search", "mean_n_x", "mean_n_y"}``."""
        k = _check_k(self.k)
        x2, y2 = validate_sample(x, y, min_samples=k + 1)
        return self._estimate(x2, y2, k, "auto")

    def _estimate(self, x: np.ndarray, y: np.ndarray, k: int, method: NeighbourSearch) -> Estimate:
        n = x.shape[0]
        _, n_x, n_y, used = _ksg_neighbour_stats(x, y, k, method)
        value = float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1.0) + digamma(n_y + 1.0)))
        info = {
            "k": k,
            "neighbour_search": "brute-force" if used == "brute" else "kd-tree",
            "mean_n_x": float(np.mean(n_x)),
            "mean_n_y": float(np.mean(n_y)),
        }
        return Estimate(value, info)
