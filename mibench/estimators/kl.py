r"""Kozachenko-Leonenko k-NN entropy, the "3H" MI estimator built on it, and its weighted (BSY) version.

The Kozachenko-Leonenko (KL) estimator of differential entropy (Kozachenko & Leonenko 1987; in the form of
Kraskov, Stoegbauer & Grassberger 2004, Phys. Rev. E 69, 066138, eq. 20) is

.. math::

    \hat h(X) = \psi(n) - \psi(k) + \log V_d + \frac{d}{n} \sum_{i=1}^{n} \log \rho_{k,i}

with :math:`\rho_{k,i}` the distance (a *radius*) from :math:`x_i` to its k-th nearest other sample point and
:math:`V_d` the volume of the unit ball of the norm used, so that :math:`V_d \rho^d` is the volume of the ball of
radius :math:`\rho`:

* Euclidean norm: :math:`V_d = \pi^{d/2} / \Gamma(d/2 + 1)`;
* max norm (Chebyshev): the ball of radius :math:`\rho` is a cube of side :math:`2\rho`, so :math:`V_d = 2^d`.

Kraskov et al. write the same estimator with the *diameter* :math:`\varepsilon_i = 2\rho_{k,i}` and
:math:`c_d = V_d / 2^d` (:math:`c_d = 1` for the max norm), i.e.
:math:`\log c_d + d \log \varepsilon_i = \log V_d + d \log \rho_{k,i}`: the two conventions agree term by term.

The weighted estimator of Berrett, Samworth & Yuan (2019, "Efficient multivariate entropy estimation via
k-nearest neighbour distances", Ann. Statist. 47(1), 288-318) averages the KL estimators for the neighbour ranks
:math:`j = 1..k` with weights chosen so that the leading terms of their biases cancel; see :class:`WeightedKL`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from scipy.special import digamma, gammaln

from mibench.estimators._scale import rescale_jointly
from mibench.estimators._threads import query_workers
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample
from mibench.validation import check_int

__all__ = [
    "METRICS",
    "KLMutualInformation",
    "WeightedKL",
    "bsy_constraint_matrix",
    "bsy_support",
    "bsy_weights",
    "kl_entropy",
    "knn_distances",
    "log_unit_ball_volume",
    "weighted_kl_entropy",
    "wkl_weights",
]

#: The norms the KL estimator accepts (scipy's names): cKDTree's ``p = 2`` and ``p = inf``.
METRICS = ("euclidean", "chebyshev")

#: The weight rules of :class:`WeightedKL` (see :func:`wkl_weights`).
WEIGHT_RULES = ("butakov", "bsy")

NeighbourSearch = Literal["auto", "tree", "brute"]

#: Dimension from which ``knn_distances(method="auto")`` uses blocked brute force instead of cKDTree at any n
#: (k-NN distances alone; ``benchmarks/test_kl.py::test_kl_entropy_search_at_twenty_dimensions`` times both
#: searches there).
BRUTE_FORCE_MIN_DIM = 20

#: Bytes of distance matrix held at once by the brute-force search (per block of query rows).
_BRUTE_FORCE_BLOCK_BYTES = 64 * 2**20


# --------------------------------------------------------------------------------------------------------------
# Parameter checks
# --------------------------------------------------------------------------------------------------------------


def _check_k(k: Any, who: str) -> int:
    return check_int(f"{who}: k (the number of nearest neighbours)", k)


def _check_metric(metric: Any, who: str) -> str:
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"{who}: unknown metric {metric!r}; use one of {', '.join(map(repr, METRICS))}")
    return metric


def _check_dimension(d: Any) -> int:
    return check_int("the dimension d", d)


# --------------------------------------------------------------------------------------------------------------
# Geometry and neighbours
# --------------------------------------------------------------------------------------------------------------


def log_unit_ball_volume(d: int, metric: str = "euclidean") -> float:
    r"""Log-volume of the unit-*radius* ball in :math:`\mathbb{R}^d`.

    Euclidean: :math:`\log V_d = \tfrac d2 \log\pi - \log\Gamma(\tfrac d2 + 1)`; max norm: :math:`d \log 2` (the
    cube :math:`[-1, 1]^d`).
    """
    d = _check_dimension(d)
    metric = _check_metric(metric, "log_unit_ball_volume")
    if metric == "euclidean":
        return 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1.0)
    return d * math.log(2.0)


def _resolve_method(method: str, d: int) -> str:
    if method == "auto":
        return "brute" if d >= BRUTE_FORCE_MIN_DIM else "tree"
    if method not in ("tree", "brute"):
        raise ValueError(f"unknown neighbour search {method!r}; use 'auto', 'tree' or 'brute'")
    return method


def knn_distances(
    points: np.ndarray,
    ranks: list[int] | np.ndarray,
    metric: str = "euclidean",
    method: NeighbourSearch = "auto",
    block_rows: int | None = None,
) -> tuple[np.ndarray, str]:
    """Distances from each point to its j-th nearest *other* point, for each rank j in ``ranks`` (1-based).

    Returns ``(dist, method_used)`` with ``dist`` of shape ``(n, len(ranks))``. ``method="auto"`` uses scipy's
    cKDTree (``p = 2`` or ``p = inf``, threads from :func:`~mibench.estimators._threads.query_workers`) below
    :data:`BRUTE_FORCE_MIN_DIM` dimensions and blocked brute-force distances
    (O(n * block_rows) memory, never n x n) from there on: ``scipy.spatial.distance.cdist`` for the max norm; for
    the Euclidean norm a BLAS matrix-product screen picks candidates with a proven rounding bound and their
    distances are recomputed exactly (:class:`_GemmScreen`: faster than ``cdist`` in high dimension, which
    ``benchmarks/test_kl.py`` times; the same distances to 1e-13 relative or better).

    Both ask for ``j + 1`` neighbours with the point itself included (at distance 0) and drop it: when duplicate
    points make the search return another copy first, the multiset of distances is the same, so the j-th
    distance to another point is still exact (0 for a point with j or more exact duplicates).
    """
    n, d = points.shape
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.ndim != 1 or ranks.size == 0 or ranks.min() < 1 or ranks.max() >= n:
        raise ValueError(f"neighbour ranks must lie in 1..n-1 = 1..{n - 1}, got {ranks.tolist()}")
    metric = _check_metric(metric, "knn_distances")
    used = _resolve_method(method, d)
    if used == "tree":
        tree = cKDTree(points)
        p = 2.0 if metric == "euclidean" else np.inf
        dist, _ = tree.query(points, k=(ranks + 1).tolist(), p=p, workers=query_workers())
        return np.ascontiguousarray(dist.reshape(n, ranks.size)), used
    kmax = int(ranks.max())
    if block_rows is None:
        block_rows = max(1, _BRUTE_FORCE_BLOCK_BYTES // (8 * n))
    out = np.empty((n, ranks.size))
    screen = _GemmScreen(points) if metric == "euclidean" else None
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        # the kmax + 1 smallest distances of each row (the point itself, at 0, among them), sorted
        if screen is not None:
            smallest = _euclidean_smallest(points, start, stop, kmax + 1, screen)
        else:
            smallest = _chebyshev_smallest(points, start, stop, kmax + 1)
        out[start:stop] = smallest[:, ranks]
    return out, used


#: Extra candidates kept per row by the Euclidean screen beyond the ``m`` wanted (fewer rows fall back then).
_SCREEN_SLACK = 8


class _GemmScreen:
    """Squared Euclidean distances by one matrix product, with a rigorous bound on their rounding error.

    ``|a - b|^2 = |a|^2 + |b|^2 - 2 a.b`` turns the O(n^2 d) distance computation into a BLAS matrix product,
    much faster than ``cdist``, but cancellation makes it inexact. It is used only to *select* candidate
    neighbours; their distances are then recomputed exactly from the original points. The points are centred
    first (distances do not change, the norms and so the error shrink). With unit roundoff u, each computed dot
    product is within ``gamma_d |a| |b| <= gamma_d (|a|^2 + |b|^2) / 2`` of the exact one, ``gamma_d = d u /
    (1 - d u)`` (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., eq. 3.5; any summation order,
    FMA included), the squared norms within ``gamma_d`` times themselves, and the two additions add ``2u`` of the
    result; ``tolerance(i, j) = c (|a_i|^2 + |b_j|^2)`` with ``c = 2 gamma_{d+4}`` bounds the total.
    """

    def __init__(self, points: np.ndarray):
        self.centred = points - points.mean(axis=0)
        self.norms = np.einsum("ij,ij->i", self.centred, self.centred)
        d = points.shape[1]
        u = np.finfo(np.float64).eps / 2
        self.c = 2.0 * (d + 4) * u / (1.0 - (d + 4) * u)
        self.max_norm = float(self.norms.max())

    def squared(self, start: int, stop: int) -> np.ndarray:
        """Approximate squared distances from rows ``start:stop`` to all points."""
        block = self.centred[start:stop] @ self.centred.T
        block *= -2.0
        block += self.norms[start:stop, None]
        block += self.norms[None, :]
        return block

    def tolerance(self, start: int, stop: int) -> np.ndarray:
        """Per-row bound on the error of every entry of :meth:`squared`'s row (the worst column)."""
        return self.c * (self.norms[start:stop] + self.max_norm)


def _chebyshev_smallest(points: np.ndarray, start: int, stop: int, m: int) -> np.ndarray:
    """The m smallest max-norm distances from rows ``start:stop`` to all points (self included), sorted."""
    block = cdist(points[start:stop], points, metric="chebyshev")
    return np.sort(np.partition(block, m - 1, axis=1)[:, :m], axis=1)


def _euclidean_smallest(points: np.ndarray, start: int, stop: int, m: int, screen: _GemmScreen) -> np.ndarray:
    """The m smallest Euclidean distances from rows ``start:stop`` to all points (self included), sorted, exact.

    The matrix-product screen ranks all points; the ``m + slack`` best by the screen are candidates. A row's
    candidates provably contain its m true nearest points when the first non-candidate's screened value exceeds
    the m-th candidate's by more than twice the error bound (every non-candidate is then truly farther than at
    least m candidates); such rows get exact distances ``sqrt(sum((a - b)^2))`` for their candidates, the others
    (rare: near-ties at the scale of the rounding error) fall back to exact ``cdist`` over all points.
    """
    n = points.shape[0]
    rows = np.arange(start, stop)
    keep = min(n, m + _SCREEN_SLACK)
    approx = screen.squared(start, stop)
    if keep < n:
        part = np.argpartition(approx, keep, axis=1)  # the keep smallest first, then the (keep + 1)-th
        candidates = part[:, :keep]
        first_excluded = np.take_along_axis(approx, part[:, keep : keep + 1], axis=1)[:, 0]
        ranked = np.sort(np.take_along_axis(approx, candidates, axis=1), axis=1)
        safe = first_excluded > ranked[:, m - 1] + 2.0 * screen.tolerance(start, stop)
    else:
        candidates = np.broadcast_to(np.arange(n), (stop - start, n))
        safe = np.ones(stop - start, dtype=bool)
    diff = points[candidates] - points[rows, None, :]
    exact = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    out = np.sort(exact, axis=1)[:, :m]
    unsafe = np.flatnonzero(~safe)
    if unsafe.size:
        fallback = cdist(points[rows[unsafe]], points)
        out[unsafe] = np.sort(np.partition(fallback, m - 1, axis=1)[:, :m], axis=1)
    return out


def _raise_if_tied(dist: np.ndarray, who: str, name: str, k: int) -> None:
    ties = int(np.count_nonzero(np.any(dist == 0, axis=1)))
    if ties:
        raise ValueError(
            f"{who} is undefined on tied samples: {ties} of {dist.shape[0]} points of {name} have at least "
            f"k={k} exact duplicates, so a nearest-neighbour distance is 0 and its logarithm is -inf (typical of "
            "discrete, quantized or rounded data). Add a little continuous noise to break ties, or use an "
            "estimator for discrete data."
        )


def _in_data_units(estimate: Estimate, e: int, dx: int, dy: int) -> Estimate:
    """``estimate`` of data rescaled by ``2**-e`` (:func:`~mibench.estimators._scale.rescale_jointly`) with its
    entropies in ``info`` shifted back to the data's units (``+ d e log 2``; the MI needs no shift)."""
    if e == 0:
        return estimate
    shift = e * math.log(2.0)
    info = dict(estimate.info)
    info.update(h_x=info["h_x"] + dx * shift, h_y=info["h_y"] + dy * shift, h_xy=info["h_xy"] + (dx + dy) * shift)
    return Estimate(estimate.value, info)


# --------------------------------------------------------------------------------------------------------------
# Plain KL entropy and MI
# --------------------------------------------------------------------------------------------------------------


def _kl_entropy(
    points: np.ndarray, k: int, metric: str, method: NeighbourSearch = "auto", name: str = "x"
) -> tuple[float, str]:
    """KL entropy (nats) of validated 2-D float ``points`` with ``n > k``; returns ``(value, method_used)``."""
    n, d = points.shape
    rho, used = knn_distances(points, [k], metric, method)
    _raise_if_tied(rho, "the Kozachenko-Leonenko estimator", name, k)
    value = digamma(n) - digamma(k) + log_unit_ball_volume(d, metric) + d * float(np.mean(np.log(rho[:, 0])))
    return float(value), used


def kl_entropy(x: Any, k: int = 3, metric: str = "euclidean") -> float:
    r"""Kozachenko-Leonenko k-NN estimate of the differential entropy of a sample, in nats.

    .. math::

        \hat h = \psi(n) - \psi(k) + \log V_d + \frac{d}{n}\sum_{i=1}^{n} \log \rho_{k,i}

    :math:`\rho_{k,i}` is the distance (radius) from :math:`x_i` to its k-th nearest other point and :math:`V_d`
    the volume of the unit ball of ``metric``: :math:`\pi^{d/2}/\Gamma(d/2+1)` (Euclidean) or :math:`2^d` (max
    norm). Kozachenko & Leonenko (1987), Problems Inform. Transmission 23(2), 95-101; Kraskov et al. (2004),
    Phys. Rev. E 69, 066138, eq. 20 (written there with the diameter :math:`\varepsilon = 2\rho` and
    :math:`c_d = V_d / 2^d`). Consistent and asymptotically unbiased for continuous densities; the finite-n bias
    grows with the dimension (it is of order :math:`(k/n)^{2/d}` for smooth densities, Berrett et al. 2019).

    Args:
        x: sample of shape ``(n,)`` or ``(n, d)``, continuous (no point may have k exact duplicates).
        k: the neighbour rank, ``1 <= k < n``.
        metric: ``"euclidean"`` or ``"chebyshev"`` (max norm).

    Raises:
        ValueError: bad ``k`` or ``metric``, ``n <= k``, NaN/inf or non-numeric data, or tied samples.
    """
    k = _check_k(k, "kl_entropy")
    metric = _check_metric(metric, "kl_entropy")
    points, _ = validate_sample(x, x, min_samples=k + 1)
    (points,), e = rescale_jointly(points)  # h(2^e u) = h(u) + d e log 2
    return _kl_entropy(points, k, metric)[0] + points.shape[1] * e * math.log(2.0)


class KLMutualInformation(BaseEstimator):
    r"""MI as a sum of three Kozachenko-Leonenko entropies ("3H"), in nats.

    .. math::

        \hat I(X;Y) = \hat h(X) + \hat h(Y) - \hat h(X, Y)
            = \psi(k) + \psi(n) + \log\frac{V_{d_x} V_{d_y}}{V_{d_x + d_y}}
              + \frac1n \sum_i \big[d_x \log\rho^x_{k,i} + d_y \log\rho^y_{k,i}
                                     - (d_x + d_y) \log\rho^{xy}_{k,i}\big]

    with the same k and norm in all three terms (see :func:`kl_entropy`; the joint norm is the norm of the
    concatenated vector). Each term is consistent, but their finite-n biases do not cancel: the k-th neighbour
    of :math:`(x_i, y_i)` in the joint space lies at a much larger distance, on the scale of the marginal
    spacing, than the k-th neighbour of :math:`x_i` in the x space, so the three entropies are estimated at
    different local scales and their density-curvature errors differ. This is exactly why Kraskov, Stoegbauer &
    Grassberger (2004, Phys. Rev. E 69, 066138, section II) introduced KSG, which reuses the joint distance in
    the marginals; the 3H estimator is kept here as the baseline KSG improves on. Measured with mibench (n =
    5000, k = 3, Euclidean; KSG k = 3 in brackets): bias on ``gaussian-pairs-2x2-mi1`` +0.030 (+0.014), on
    ``gaussian-pairs-5x5-mi1`` -0.23 (-0.19), on ``gaussian-pairs-10x10-mi2`` -1.39 (-1.00) and on the
    *independent* ``gaussian-pairs-10x10-mi0`` -0.82 (+0.002) nats: in 1 + 1 dimensions it is nearly unbiased,
    in high dimension even independence is not recognised.

    Args:
        k: neighbour rank in every term (3, as KSG's default, by default).
        metric: ``"euclidean"`` (the classical KL estimator) or ``"chebyshev"`` (max norm, as in KSG).
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, min_samples=4)

    def __init__(self, *, k: int = 3, metric: str = "euclidean"):
        self.k = k
        self.metric = metric

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus ``{"k", "metric", "h_x", "h_y", "h_xy", "neighbour_search"}`` (entropies in nats)."""
        k = _check_k(self.k, "KLMutualInformation")
        metric = _check_metric(self.metric, "KLMutualInformation")
        x2, y2 = validate_sample(x, y, min_samples=k + 1)
        (x2, y2), e = rescale_jointly(x2, y2)  # extreme magnitudes only; the MI is unchanged
        return _in_data_units(self._estimate(x2, y2, k, metric, "auto"), e, x2.shape[1], y2.shape[1])

    def _estimate(self, x: np.ndarray, y: np.ndarray, k: int, metric: str, method: NeighbourSearch) -> Estimate:
        h_xy, used_xy = _kl_entropy(np.hstack([x, y]), k, metric, method, "the joint sample (x, y)")
        h_x, used_x = _kl_entropy(x, k, metric, method, "x")
        h_y, used_y = _kl_entropy(y, k, metric, method, "y")
        info = {
            "k": k,
            "metric": metric,
            "h_x": h_x,
            "h_y": h_y,
            "h_xy": h_xy,
            "neighbour_search": {"x": used_x, "y": used_y, "xy": used_xy},
        }
        return Estimate(float(h_x + h_y - h_xy), info)


# --------------------------------------------------------------------------------------------------------------
# Weighted KL (Berrett, Samworth & Yuan 2019)
# --------------------------------------------------------------------------------------------------------------


def bsy_constraint_matrix(k: int, d: int) -> np.ndarray:
    r"""The ``(1 + floor(d/4), k)`` matrix of BSY's linear constraints on the weights :math:`w_1..w_k`.

    Row 0 is all ones (:math:`\sum_j w_j = 1`); row l is :math:`\Gamma(j + 2l/d)/\Gamma(j)`, j = 1..k
    (:math:`\sum_j w_j \Gamma(j + 2l/d)/\Gamma(j) = 0`), computed as ``exp(lgamma - lgamma)``.
    """
    j = np.arange(1, k + 1, dtype=float)
    rows = [np.ones(k)]
    rows += [np.exp(gammaln(j + 2.0 * ell / d) - gammaln(j)) for ell in range(1, d // 4 + 1)]
    return np.vstack(rows)


def bsy_support(k: int, d: int) -> np.ndarray:
    r"""The neighbour ranks BSY allow a non-zero weight on: :math:`\{\lfloor ik/d \rfloor : i = 1..d\} \cap
    \{1..k\}` (sorted, 1-based). For ``k <= d`` this is all of 1..k."""
    ranks = {(i * k) // d for i in range(1, d + 1)}
    return np.array(sorted(r for r in ranks if r >= 1), dtype=np.int64)


def bsy_weights(k: int, d: int) -> np.ndarray:
    r"""Berrett-Samworth-Yuan weights :math:`w_1..w_k` for dimension d, as their own software chooses them.

    BSY (2019, Ann. Statist. 47(1), eq. for :math:`\mathcal W^{(k)}`) admit the weight vectors with

    .. math::

        \sum_{j=1}^k w_j = 1, \qquad
        \sum_{j=1}^k w_j \frac{\Gamma(j + 2l/d)}{\Gamma(j)} = 0 \quad (l = 1, \dots, \lfloor d/4 \rfloor),
        \qquad w_j = 0 \text{ unless } j \in \{\lfloor k/d \rfloor, \lfloor 2k/d \rfloor, \dots, k\}.

    The l-th constraint cancels the :math:`(k/n)^{2l/d}` term of the bias; terms with :math:`2l/d > 1/2` are
    already :math:`o(n^{-1/2})`, hence :math:`\lfloor d/4 \rfloor` constraints. Among the admissible vectors
    this returns the one of minimum Euclidean norm (the choice of the authors' R package IndepTest,
    ``L2OptW``, which keeps the variance inflation of the weighting small), computed by SVD least squares on the
    allowed support. For :math:`d \le 3` there is no bias constraint and, as ``L2OptW`` does, the unweighted
    estimator :math:`w = e_k` (the k-th neighbour only) is returned.

    The minimum-norm weights grow quickly with d (about 1.5 in d = 5, 14 in d = 10, 500-10^4 from d = 16 on
    for k = 5-10), and so does the variance of the weighted estimator.

    Raises:
        ValueError: ``k < floor(d/4) + 1`` (fewer allowed ranks than constraints: no exact solution).
    """
    k = _check_k(k, "bsy_weights")
    d = _check_dimension(d)
    weights = np.zeros(k)
    n_constraints = d // 4
    if n_constraints == 0:
        weights[k - 1] = 1.0
        return weights
    support = bsy_support(k, d)
    if support.size < n_constraints + 1:
        raise ValueError(
            f"the weighted KL estimator in d={d} dimensions must satisfy floor(d/4) + 1 = {n_constraints + 1} "
            f"linear constraints (Berrett, Samworth & Yuan 2019), which needs at least {n_constraints + 1} "
            f"neighbour ranks; k={k} allows {support.size}. Use k >= {n_constraints + 1} (larger k gives smaller "
            "weights), or reduce the dimension first"
        )
    matrix = bsy_constraint_matrix(k, d)[:, support - 1]
    rhs = np.zeros(n_constraints + 1)
    rhs[0] = 1.0
    solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    # one step of iterative refinement: the matrix is ill-conditioned from d ~ 12 on (cond ~ 1e4-1e7)
    solution += np.linalg.lstsq(matrix, rhs - matrix @ solution, rcond=None)[0]
    weights[support - 1] = solution
    return weights


def wkl_weights(k: int, d: int, rule: str = "butakov") -> np.ndarray:
    r"""The weights :class:`WeightedKL` uses for a d-dimensional entropy.

    * ``"butakov"`` (default): for :math:`d \le 4` the plain 1-NN KL estimator, :math:`w = e_1`, as in the
      implementation of Butakov et al. (ICLR 2024, package ``mutinfo``, ``WKL``); from d = 5 on
      :func:`bsy_weights`. Note that BSY impose one constraint already at d = 4 (:math:`\lfloor 4/4 \rfloor =
      1`), which this rule leaves out.
    * ``"bsy"``: :func:`bsy_weights` in every dimension (:math:`w = e_k` for :math:`d \le 3`, as BSY's
      unweighted estimator, and the one constraint at d = 4).
    """
    if not isinstance(rule, str) or rule not in WEIGHT_RULES:
        raise ValueError(f"unknown weight rule {rule!r}; use one of {', '.join(map(repr, WEIGHT_RULES))}")
    k = _check_k(k, "wkl_weights")
    d = _check_dimension(d)
    if rule == "butakov" and d <= 4:
        weights = np.zeros(k)
        weights[0] = 1.0
        return weights
    return bsy_weights(k, d)


def _weighted_kl_entropy(
    points: np.ndarray, k: int, rule: str, method: NeighbourSearch = "auto", name: str = "x"
) -> tuple[float, np.ndarray, str]:
    """Weighted KL entropy of validated ``points`` (n > k); returns ``(value, weights, method_used)``."""
    n, d = points.shape
    weights = wkl_weights(k, d, rule)
    ranks = np.flatnonzero(weights) + 1
    rho, used = knn_distances(points, ranks, "euclidean", method)
    _raise_if_tied(rho, "the weighted Kozachenko-Leonenko estimator", name, int(ranks.min()))
    # H_j = log V_d + log(n - 1) - psi(j) + (d/n) sum_i log rho_(j),i ; H = sum_j w_j H_j
    per_rank = (
        log_unit_ball_volume(d, "euclidean") + math.log(n - 1) - digamma(ranks) + d * np.mean(np.log(rho), axis=0)
    )
    return float(np.dot(weights[ranks - 1], per_rank)), weights, used


def weighted_kl_entropy(x: Any, k: int = 5, rule: str = "butakov") -> float:
    r"""Weighted Kozachenko-Leonenko entropy (Berrett, Samworth & Yuan 2019) of a sample, in nats.

    .. math::

        \hat H = -\frac1n \sum_{i=1}^n \sum_{j=1}^k w_j \log \hat p_j(x_i), \qquad
        \log \hat p_j(x_i) = \psi(j) - \log V_d - d \log \rho_{(j),i} - \log(n - 1)

    with Euclidean distances :math:`\rho_{(j),i}` to the j-th nearest other point, :math:`V_d = \pi^{d/2} /
    \Gamma(d/2 + 1)` and the weights of :func:`wkl_weights` (``rule``). With :math:`w = e_k` this is the KL
    estimator with :math:`\log(n-1)` in place of :math:`\psi(n)` (they differ by :math:`O(1/n)`).

    Raises:
        ValueError: bad ``k`` or ``rule``, ``n <= k``, ``k`` too small for the dimension (see
            :func:`bsy_weights`), NaN/inf or non-numeric data, or tied samples.
    """
    k = _check_k(k, "weighted_kl_entropy")
    points, _ = validate_sample(x, x, min_samples=k + 1)
    (points,), e = rescale_jointly(points)  # h(2^e u) = h(u) + d e log 2
    return _weighted_kl_entropy(points, k, rule)[0] + points.shape[1] * e * math.log(2.0)


class WeightedKL(BaseEstimator):
    r"""MI from three weighted Kozachenko-Leonenko entropies (Berrett, Samworth & Yuan 2019), in nats.

    .. math::

        \hat I(X;Y) = \hat H(X) + \hat H(Y) - \hat H(X, Y)

    each :math:`\hat H` being :func:`weighted_kl_entropy` in its own dimension (:math:`d_x`, :math:`d_y`,
    :math:`d_x + d_y`) with its own weights (:func:`wkl_weights`): BSY's bias-cancelling weights

    .. math::

        \sum_j w_j = 1, \qquad \sum_j w_j \frac{\Gamma(j + 2l/d)}{\Gamma(j)} = 0,\ l = 1..\lfloor d/4 \rfloor,

    of minimum Euclidean norm (as the authors' R package IndepTest), and, with the default ``weights="butakov"``,
    the plain 1-NN KL estimator for :math:`d \le 4` as in the WKL of Butakov et al. (ICLR 2024), who use this
    estimator after compressing the data to a few dimensions. Euclidean distances throughout.

    Limits: the estimator is undefined on tied data (a zero neighbour distance; quantized data, as Butakov et al.
    report) and raises ``ValueError`` there. The weighting needs ``k >= floor(d/4) + 1`` in the joint dimension
    (k = 5 covers d <= 19) and raises ``ValueError`` below that. The minimum-norm weights, and with them the
    variance, jump each time d passes a multiple of 4 (largest |w_j| at k = 5: 1.3-2.0 for d = 4-7, 10-16 for
    d = 8-11, 240-440 for d = 12-15, 10^4 from d = 16), hence ``max_dim = 11``. Measured with mibench (n = 5000,
    30 seeds): on ``gaussian-pairs-5x5-mi1`` (d = 10) WKL k=5 has bias +0.07 +- 0.04 nats but SD 0.24 (RMSE
    0.25), against KL's -0.28 and SD 0.02 (RMSE 0.28); on ``gaussian-pairs-10x10-mi2`` (d = 20, k >= 6) its SD
    is 10^2-10^3 nats. In d <= 4 the default rule is plain 1-NN KL. The biases of the three entropies do not
    cancel in general (see :class:`KLMutualInformation`).

    Args:
        k: the largest neighbour rank used (5, as in Butakov et al.).
        weights: ``"butakov"`` (1-NN for d <= 4, BSY above) or ``"bsy"`` (BSY in every dimension: the k-th
            neighbour for d <= 3, one constraint at d = 4).
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, max_dim=11, min_samples=6)

    def __init__(self, *, k: int = 5, weights: str = "butakov"):
        self.k = k
        self.weights = weights

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus ``{"k", "weights_rule", "h_x", "h_y", "h_xy", "weights", "neighbour_search"}``
        (entropies in nats; ``weights`` maps ``x``, ``y``, ``xy`` to the weight vectors w_1..w_k used)."""
        k = _check_k(self.k, "WeightedKL")
        if not isinstance(self.weights, str) or self.weights not in WEIGHT_RULES:
            raise ValueError(
                f"WeightedKL: unknown weights rule {self.weights!r}; use one of {', '.join(map(repr, WEIGHT_RULES))}"
            )
        x2, y2 = validate_sample(x, y, min_samples=k + 1)
        (x2, y2), e = rescale_jointly(x2, y2)  # extreme magnitudes only; the MI is unchanged
        return _in_data_units(self._estimate(x2, y2, k, self.weights, "auto"), e, x2.shape[1], y2.shape[1])

    def _estimate(self, x: np.ndarray, y: np.ndarray, k: int, rule: str, method: NeighbourSearch) -> Estimate:
        # the joint term first: it is the one whose dimension may be too large for k
        h_xy, w_xy, used_xy = _weighted_kl_entropy(np.hstack([x, y]), k, rule, method, "the joint sample (x, y)")
        h_x, w_x, used_x = _weighted_kl_entropy(x, k, rule, method, "x")
        h_y, w_y, used_y = _weighted_kl_entropy(y, k, rule, method, "y")
        info = {
            "k": k,
            "weights_rule": rule,
            "h_x": h_x,
            "h_y": h_y,
            "h_xy": h_xy,
            "weights": {"x": w_x.tolist(), "y": w_y.tolist(), "xy": w_xy.tolist()},
            "neighbour_search": {"x": used_x, "y": used_y, "xy": used_xy},
        }
        return Estimate(float(h_x + h_y - h_xy), info)
