"""The Kraskov-Stoegbauer-Grassberger (KSG) k-nearest-neighbour MI estimators, algorithms 1 and 2.

Reference: A. Kraskov, H. Stoegbauer, P. Grassberger, "Estimating mutual information", Phys. Rev. E 69, 066138
(2004), eq. (8) (algorithm 1, :class:`KSG`) and eq. (9) (algorithm 2, :class:`KSG2`).

The two algorithms are separate classes (registry names ``ksg`` and ``ksg2``) rather than one class with an
``algorithm`` hyperparameter: adding a hyperparameter to :class:`KSG` would change its parameter hash and its
``repr``, so every stored ``ksg`` result and the committed baseline reports would stop matching new runs of the
very same computation; and as separate estimators the two algorithms appear as two rows of every report, which
is how the benchmark compares them. They share the neighbour search (:mod:`mibench.estimators._neighbors`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import digamma

from mibench.estimators import _neighbors
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample
from mibench.validation import check_int

__all__ = ["KSG", "KSG2"]

NeighbourSearch = Literal["auto", "tree", "brute"]


def _check_k(k: Any) -> int:
    return check_int("KSG: k (the number of nearest neighbours)", k)


def _resolve_search(method: NeighbourSearch, n: int, joint_dim: int) -> str:
    if method == "auto":
        return _neighbors.choose_search(n, joint_dim)
    if method not in ("tree", "brute"):
        raise ValueError(f"KSG: unknown neighbour search {method!r}; use 'auto', 'tree' or 'brute'")
    return method


def _reject_ties(eps: np.ndarray, k: int) -> None:
    ties = int(np.count_nonzero(eps == 0))
    if ties:
        raise ValueError(
            f"KSG is undefined on tied samples: {ties} of {eps.shape[0]} points have at least k={k} exact "
            "duplicates in the joint (x, y) space, so their k-th neighbour distance is 0 (typical of "
            "discrete or rounded data). Add a little continuous noise to break ties, or use an estimator "
            "for discrete data."
        )


def _ksg_neighbour_stats(
    x: np.ndarray, y: np.ndarray, k: int, method: NeighbourSearch = "auto", algorithm: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """``(eps, n_x, n_y, method_used)`` for validated 2-D float arrays.

    ``eps[i]`` is the max-norm distance from point i to its k-th nearest other point in the joint space.
    Algorithm 1: ``n_x[i]`` / ``n_y[i]`` are the numbers of other points strictly closer than ``eps[i]`` in x / y.
    Algorithm 2: the numbers of other points within ``eps_x[i]`` / ``eps_y[i]`` (non-strict), the x / y extents
    of the joint neighbour set. ``method`` forces the search (``"tree"`` or ``"brute"``); ``"auto"`` asks
    :func:`~mibench.estimators._neighbors.choose_search`.

    Raises:
        ValueError: some ``eps[i]`` is 0 (at least k + 1 identical joint points).
    """
    used = _resolve_search(method, x.shape[0], x.shape[1] + y.shape[1])
    if used == "brute":
        eps, n_x, n_y = _neighbors.ksg_counts_brute_force(x, y, k, algorithm=algorithm)
        _reject_ties(eps, k)
    elif algorithm == 1:
        eps = _neighbors.kth_neighbour_distance_tree(np.hstack([x, y]), k)
        _reject_ties(eps, k)  # before counting: the strict counts need eps > 0
        n_x, n_y = _neighbors.count_within_pair(x, y, eps, eps, strict=True)
    else:
        eps, eps_x, eps_y = _neighbors.ksg2_extents_tree(x, y, k)
        _reject_ties(eps, k)
        n_x, n_y = _neighbors.count_within_pair(x, y, eps_x, eps_y, strict=False)
    return eps, n_x, n_y, used


class _KSGBase(BaseEstimator):
    """What the two KSG algorithms share: ``k``, validation, the neighbour search and the info dict."""

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, min_samples=4)
    _algorithm: ClassVar[int] = 1

    def __init__(self, *, k: int = 3):
        self.k = k

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus ``{"k", "algorithm", "neighbour_search", "mean_n_x", "mean_n_y"}``."""
        k = _check_k(self.k)
        x2, y2 = validate_sample(x, y, min_samples=k + 1)
        return self._estimate(x2, y2, k, "auto")

    def prepare(self) -> None:
        """Load the compiled marginal counts now (numba's import and the kernels' compilation, or their load from
        the on-disk cache, once per process) rather than inside the first estimate, so the first job's time and
        memory are the estimate's own (reports/ksg_speed.md and reports/estimator_memory.md measure both)."""
        _neighbors.prepare_compiled_counts()

    def _value(self, n: int, k: int, n_x: np.ndarray, n_y: np.ndarray) -> float:
        raise NotImplementedError

    def _estimate(self, x: np.ndarray, y: np.ndarray, k: int, method: NeighbourSearch) -> Estimate:
        n = x.shape[0]
        _, n_x, n_y, used = _ksg_neighbour_stats(x, y, k, method, self._algorithm)
        info = {
            "k": k,
            "algorithm": self._algorithm,
            "neighbour_search": "brute-force" if used == "brute" else "kd-tree",
            "mean_n_x": float(np.mean(n_x)),
            "mean_n_y": float(np.mean(n_y)),
        }
        return Estimate(self._value(n, k, n_x, n_y), info)


class KSG(_KSGBase):
    r"""Kraskov-Stoegbauer-Grassberger k-NN mutual information estimator (algorithm 1), in nats.

    .. math::

        \hat I(X;Y) = \psi(k) + \psi(N)
            - \frac{1}{N}\sum_{i=1}^{N} \big[\psi(n_x(i) + 1) + \psi(n_y(i) + 1)\big]

    with the max-norm in every space, :math:`\varepsilon_i` the distance from :math:`(x_i, y_i)` to its k-th
    nearest other point in the joint space, and :math:`n_x(i)`, :math:`n_y(i)` the numbers of other points
    strictly closer than :math:`\varepsilon_i` to :math:`x_i` in the x space and to :math:`y_i` in the y space
    (Kraskov, Stoegbauer & Grassberger 2004, Phys. Rev. E 69, 066138, eq. 8). No noise is added, so the value
    is deterministic and agrees with the other public implementations (NPEET, ennemi, infomeasure with its
    noise off) on the same data.

    The estimator is consistent for continuous distributions and nearly unbiased for independent variables; it
    underestimates large MI in high dimension (a known property the benchmark shows). It is undefined when
    k + 1 joint points coincide (discrete data) and raises ``ValueError`` there; ties in one marginal alone are
    fine (the strict counts are exact).

    Neighbour search (:func:`mibench.estimators._neighbors.choose_search`): cKDTree for the joint k-th neighbour,
    sorting for 1-D marginals and a compiled dual-tree count for the others
    (:mod:`mibench.estimators._maxnorm_counts`), all in tree order and on several threads; blocked brute force
    in high dimension and for small samples.

    Args:
        k: number of nearest neighbours (3 is the usual choice: lower variance with larger k, lower bias with
            smaller k).
    """

    _algorithm: ClassVar[int] = 1

    def _value(self, n: int, k: int, n_x: np.ndarray, n_y: np.ndarray) -> float:
        return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1.0) + digamma(n_y + 1.0)))


class KSG2(_KSGBase):
    r"""Kraskov-Stoegbauer-Grassberger k-NN mutual information estimator, algorithm 2, in nats.

    .. math::

        \hat I(X;Y) = \psi(k) - \frac1k + \psi(N)
            - \frac{1}{N}\sum_{i=1}^{N} \big[\psi(n_x(i)) + \psi(n_y(i))\big]

    (Kraskov, Stoegbauer & Grassberger 2004, eq. 9). With the max-norm in every space, let the joint neighbour
    set of point i be its k nearest other points in the joint space; :math:`\varepsilon_x(i)` and
    :math:`\varepsilon_y(i)` are the largest x and y distances from :math:`(x_i, y_i)` to a point of that set,
    and :math:`n_x(i)` (:math:`n_y(i)`) counts the other points with
    :math:`\|x_j - x_i\| \le \varepsilon_x(i)` (non-strict; :math:`\|y_j - y_i\| \le \varepsilon_y(i)`). Every
    neighbour is counted, so :math:`n_x(i), n_y(i) \ge k` and the digammas are always finite. Algorithm 2 uses
    rectangles rather than squares in the joint space; Kraskov et al. find it slightly less biased in high
    dimension and slightly noisier than algorithm 1.

    Ties (the rules, chosen so that the value never depends on the order of the rows):

    * several points at exactly the k-th neighbour distance :math:`\varepsilon_i > 0`: all of them belong to the
      joint neighbour set (it is "the points at joint distance :math:`\le \varepsilon_i`"), rather than an
      arbitrary k of them;
    * ties in one marginal (e.g. x on a grid, y continuous) are fine: they are counted by the non-strict rule;
    * :math:`\varepsilon_i = 0` (k + 1 identical joint points, typical of discrete data): the k nearest
      neighbours are not determined and the rectangle degenerates to a point, so, as algorithm 1 does, the
      estimator raises ``ValueError`` asking for continuous noise or a discrete estimator. (The formula would
      still return a finite number there, but not an estimate of anything.)

    Infomeasure's ``ksg_id=2`` is a different estimator (it counts within the joint :math:`\varepsilon_i` in
    both marginals), so it does not agree with this one; there is no public peer to cross-check against, so
    the tests compare with a naive O(N^2) transcription of eq. 9.

    Args:
        k: number of nearest neighbours.
    """

    _algorithm: ClassVar[int] = 2

    def _value(self, n: int, k: int, n_x: np.ndarray, n_y: np.ndarray) -> float:
        return float(digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(n_x * 1.0) + digamma(n_y * 1.0)))
