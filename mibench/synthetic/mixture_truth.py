r"""The MI of a finite set of points sent through a Gaussian channel: Monte Carlo (any dimension) and quadrature (1-D).

The model (Goldfeld et al., "Estimating information flow in deep neural networks", ICML 2019; Goldfeld, Greenewald
& Polyanskiy, "Estimating differential entropy under Gaussian convolutions", arXiv 1810.11589): ``X`` uniform on
``k`` inputs, each with a clean representation ``c_i`` in ``R^d`` (rows may repeat), and

    T = c(X) + Z,    Z ~ N(0, s^2 I_d),

so ``T`` has the Gaussian-mixture density ``g(t) = (1/k) sum_j phi_s(t - c_j)``. Optionally each input has a label
``Y = y(X)``; then ``T | Y = y`` has the density ``g_y``, the mixture of class ``y``'s centres.

**I(X; T)** ``= h(T) - h(T | X) = h(g) - d/2 log(2 pi e s^2)`` (Goldfeld et al., eq. for the first layer). Written
as an expectation stratified over the inputs, with the normalising constant cancelled,

    I(X; T) = (1/k) sum_i E_z[ log phi_s(z) - log g(c_i + z) ]
            = (1/k) sum_i E_z[ log k - log S_i(z) ],   S_i(z) = sum_j exp(a_j(t) - a_i(t)),  t = c_i + z,

with the linear discriminants ``a_j(t) = (t . c_j - |c_j|^2 / 2) / s^2``, because
``phi_s(t - c_j) / phi_s(t - c_i) = exp(a_j(t) - a_i(t))``. The exponent equals
``(|z|^2 - |t - c_j|^2) / (2 s^2) <= |z|^2 / (2 s^2)``, so it cannot overflow unless ``|z|^2 / s^2`` (a chi-square
with ``d`` degrees of freedom) exceeds ~1400, and the ``j = i`` term is ``exp(0) = 1``, so ``S_i >= 1``: the sum
is taken without the max-shift of a log-sum-exp (one pass fewer), with the shift as a fallback for huge ``d``.
Inputs with the same centre are one term with weight ``w_j`` (their multiplicity); ``I(X; T) = I(c(X); T)`` since
``T`` depends on ``X`` only through ``c(X)``.

**I(T; Y)** ``= h(T) - sum_y P(y) h(T | Y = y)``; stratified over the inputs,

    I(T; Y) = (1/k) sum_i E_z[ log g_{y_i}(c_i + z) - log g(c_i + z) ]
            = (1/k) sum_i E_z[ log(S_{i,y_i}(z) / k_{y_i}) - log(S_i(z) / k) ],

``S_{i,y}`` the sum over class ``y``'s inputs only and ``k_y`` their number. Inputs that share a centre share the
noise draws: the integrand of a distinct centre ``u`` is ``sum_y q_{u,y} log(S_{u,y} / k_y) - log(S_u / k)`` with
``q_{u,y}`` the share of ``u``'s inputs labelled ``y`` (the conditional expectation over the label given the centre:
the same mean, less variance).

**Monte Carlo** (:func:`channel_mi`). Each distinct centre ``u`` with multiplicity ``w_u`` gets ``m w_u`` draws
(``m = draws_per_centre``: proportional allocation over the strata), so the estimate is the plain mean of all
``k m`` integrand values, unbiased, with the stratified variance

    Var = sum_u (w_u / k)^2 var_u / (m w_u),    var_u the sample variance of stratum u's values

(``(1/k^2) sum_i var_i / m`` when the centres are distinct). Like every sample-variance error bar it cannot see
events rarer than ``1 / (k m)``: when the MI's distance from its ceiling comes only from noise crossing a gap of
many standard deviations (e.g. two classes 4.6 ``s`` apart: probability 2e-6 per draw, a 2.6e-6-nat deficit), the
value misses that deficit and the error bar does not cover it until the draws reach that rarity. This is the
estimator of the Gaussian-convolution ("sample propagation") method with the exact mixture, and its error bar
(Goldfeld et al.: MSE ``(1/(n^2 m)) sum_i Var[log g(S_i + Z)]``); here the log-ratio form removes the ``log phi``
noise. Work and memory: ``k m`` noisy points, each against the distinct centres, in blocks of ``block`` points, so
memory is ``O(block x k)``; the noise is drawn block by block from one seeded generator, and since consecutive
``standard_normal`` calls continue one stream, the value does not depend on ``block``.

**Quadrature in one dimension** (:func:`channel_mi_quadrature`, :func:`mixture_entropy_1d`). ``h(g) = -int g log g``
by composite Gauss-Legendre quadrature: the line ``[min c - L s, max c + L s]`` (``L =`` :data:`TAIL_SDS` ``= 40``;
the mass outside is ``< 2 Phi(-40) ~ 1e-350``, zero in double precision) is cut at every distinct centre and every
midpoint between neighbouring centres (where ``log g`` bends most) and into pieces no longer than
:data:`PIECE_SDS` ``x s``, each integrated with :data:`GAUSS_NODES` Gauss-Legendre nodes; ``log g`` is a
log-sum-exp. ``g log g`` is analytic and varies on the scale ``s`` within each piece, so the rule converges
geometrically; the tests compare it with adaptive ``scipy.integrate.quad`` (``epsabs = 1e-13``), with the
Gauss-Hermite form of the stratified log-ratio above and with the closed limits (agreement to ``1e-12``; 3e-14
measured against ``quad`` for 2 to 32 points on a line, ``s`` from 0.005 to 10).
Points on a product set (the corners of a cube ``{-a, a}^d``, or any grid ``P^d`` with ``X`` uniform on it) have
independent coordinates given by a uniform ``X``, and the noise is isotropic, so the coordinates of ``(X, T)`` are
independent pairs and ``I = d x I_1D`` (:func:`product_channel_mi`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special
from threadpoolctl import threadpool_limits

from mibench.validation import check_int, check_positive

__all__ = [
    "GAUSS_NODES",
    "PIECE_SDS",
    "TAIL_SDS",
    "MonteCarloValue",
    "channel_mi",
    "channel_mi_quadrature",
    "mixture_entropy_1d",
    "product_channel_mi",
]

#: Half-width of the integration range beyond the outermost centres, in noise standard deviations.
TAIL_SDS = 40.0
#: Longest quadrature piece, in noise standard deviations.
PIECE_SDS = 0.5
#: Gauss-Legendre nodes per piece.
GAUSS_NODES = 24

#: An exponent above this (``|z|^2 / (2 s^2)`` bounds the exponents of a row) switches a block to the shifted
#: log-sum-exp; ``exp(700)`` is still finite and a sum of up to 1e6 such terms too.
_OVERFLOW_GUARD = 690.0
#: Exponents are floored here before ``exp`` (see :func:`channel_mi`).
_UNDERFLOW_FLOOR = -700.0


@dataclass(frozen=True)
class MonteCarloValue:
    """A Monte-Carlo value with its standard error.

    Attributes:
        value: the estimate (nats).
        stderr: the standard error of ``value`` (nats), from the within-stratum sample variances.
        draws: the total number of Monte-Carlo draws (noisy points).
    """

    value: float
    stderr: float
    draws: int


def _as_centres(centres: np.ndarray) -> np.ndarray:
    arr = np.asarray(centres, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"centres must be a non-empty (k, d) array, got shape {np.shape(centres)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("centres must be finite; they contain NaN or infinite values")
    return arr


def _as_labels(labels: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """Labels as class indices ``0..n_classes-1`` (``np.unique``'s inverse) and the number of classes."""
    arr = np.asarray(labels)
    if arr.shape != (k,):
        raise ValueError(f"labels must have shape ({k},), one per centre, got {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        raise ValueError(f"labels must be integers, got dtype {arr.dtype}")
    classes, index = np.unique(arr, return_inverse=True)
    return index.reshape(-1), int(classes.size)


def channel_mi(
    centres: np.ndarray,
    noise_std: float,
    *,
    labels: np.ndarray | None = None,
    draws_per_centre: int = 16,
    seed: int = 0,
    block: int = 256,
) -> MonteCarloValue:
    """Monte-Carlo MI of ``T = c(X) + N(0, s^2 I)`` with ``X`` uniform on the ``k`` rows of ``centres``.

    Without ``labels``: ``I(X; T)``; with ``labels`` (one integer per row): ``I(T; Y)``, ``Y = labels[X]``. The
    stratified log-ratio estimator of the module docstring: ``draws_per_centre`` noise draws per input (pooled over
    inputs with the same centre), evaluated in blocks of ``block`` noisy points against the distinct centres.

    Args:
        centres: ``(k, d)`` (or ``(k,)`` for ``d = 1``) clean representations of the ``k`` equally likely inputs.
        noise_std: ``s > 0``, the noise's standard deviation per coordinate.
        labels: ``(k,)`` integer labels, or ``None`` for ``I(X; T)``.
        draws_per_centre: ``m >= 2`` draws per input (the standard error shrinks as ``1/sqrt(k m)``).
        seed: seeds ``numpy.random.default_rng``; the same arguments give the same value for any ``block``.
        block: noisy points per block (memory ``~ 8 block x (distinct centres)`` bytes).

    Returns:
        The estimate, its standard error and the number of draws ``k m`` (all in nats).

    Raises:
        ValueError: malformed centres or labels, ``noise_std <= 0``, ``draws_per_centre < 2`` or ``block < 1``.
    """
    c_all = _as_centres(centres)
    s = check_positive("noise_std", noise_std)
    m = check_int("draws_per_centre", draws_per_centre, 2)
    block = check_int("block", block, 1)
    k, d = c_all.shape
    unique, inverse, counts = np.unique(c_all, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    k_u = unique.shape[0]
    if labels is None:
        weights = counts.astype(np.float64).reshape(-1, 1)  # (k_u, 1)
        q = None
        log_class_sizes = None
    else:
        cls, n_classes = _as_labels(labels, k)
        weights = np.zeros((k_u, n_classes))
        np.add.at(weights, (inverse, cls), 1.0)
        q = weights / counts[:, None]  # share of each distinct centre's inputs in each class
        log_class_sizes = np.log(weights.sum(axis=0))
    log_k = math.log(k)

    # Augmented matrices: [t, 1, -a_u(t)] @ [c_j / s^2, -|c_j|^2 / (2 s^2) + log w_j, 1]^T = a_j(t) - a_u(t) + log w_j
    # (without labels the multiplicities enter through the exponent, so the sum over j is a plain row sum; with
    # labels they enter through the (distinct centre x class) weight matrix).
    inv_var = 1.0 / (s * s)
    half_norms = 0.5 * np.einsum("ij,ij->i", unique, unique) * inv_var
    c_aug = np.empty((k_u, d + 2))
    c_aug[:, :d] = unique * inv_var
    c_aug[:, d] = -half_norms
    c_aug[:, d + 1] = 1.0
    log_w = np.log(counts.astype(np.float64)) if q is None else np.zeros(k_u)

    strata = np.repeat(np.arange(k_u), counts * m)  # proportional allocation, ordered by stratum
    total = strata.size
    values = np.empty(total)
    rng = np.random.default_rng(seed)
    t_aug = np.empty((min(block, total), d + 2))
    # The products have inner dimension d + 2: memory-bound, so extra BLAS threads only contend; one thread is as
    # fast as the machine's memory allows.
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, total, block):
            rows = strata[start : start + block]
            n_rows = rows.size
            z = rng.standard_normal((n_rows, d))
            ta = t_aug[:n_rows]
            np.multiply(z, s, out=ta[:, :d])
            ta[:, :d] += unique[rows]
            ta[:, d] = 1.0
            ta[:, d + 1] = 0.0
            ta[:, d + 1] = -np.einsum("ij,ij->i", ta, c_aug[rows])  # -a_u(t)
            exponents = ta @ c_aug.T
            exponents += log_w
            if 0.5 * float(np.max(np.einsum("ij,ij->i", z, z))) > _OVERFLOW_GUARD:
                shift = exponents.max(axis=1)
                exponents -= shift[:, None]
            else:
                shift = None
            # Terms below exp(-700) are < 1e-304 of the j = u term (>= 1): flooring them changes no sum, and it
            # keeps exp off its slow subnormal path.
            np.maximum(exponents, _UNDERFLOW_FLOOR, out=exponents)
            np.exp(exponents, out=exponents)
            if q is None:
                log_sums = np.log(exponents.sum(axis=1))
                if shift is not None:
                    log_sums += shift
                values[start : start + n_rows] = log_k - log_sums
            else:
                sums = exponents @ weights  # (n_rows, n_classes)
                log_sums = np.log(np.maximum(sums, np.finfo(np.float64).tiny))
                if shift is not None:
                    log_sums += shift[:, None]
                log_total = special.logsumexp(log_sums, axis=1)
                values[start : start + n_rows] = np.einsum("ij,ij->i", q[rows], log_sums - log_class_sizes) - (
                    log_total - log_k
                )

    n_per = (counts * m).astype(np.float64)
    means = np.bincount(strata, weights=values, minlength=k_u) / n_per
    deviations = values - means[strata]
    variances = np.bincount(strata, weights=deviations * deviations, minlength=k_u) / (n_per - 1.0)
    p = counts / k
    stderr = math.sqrt(float(np.sum(p * p * variances / n_per)))
    return MonteCarloValue(float(np.mean(values)), stderr, int(total))


# --------------------------------------------------------------------------------------------------------------
# One dimension: quadrature
# --------------------------------------------------------------------------------------------------------------


def _pieces(points: np.ndarray, s: float) -> np.ndarray:
    """Breakpoints of the composite rule: the range, the distinct points, their midpoints, then pieces of at most
    ``PIECE_SDS * s``."""
    distinct = np.unique(points)
    cuts = np.concatenate(
        [
            [distinct[0] - TAIL_SDS * s, distinct[-1] + TAIL_SDS * s],
            distinct,
            0.5 * (distinct[1:] + distinct[:-1]),
        ]
    )
    cuts = np.unique(cuts)
    widths = np.diff(cuts)
    splits = np.maximum(1, np.ceil(widths / (PIECE_SDS * s)).astype(np.int64))
    edges = [np.linspace(a, b, n + 1)[:-1] for a, b, n in zip(cuts[:-1], cuts[1:], splits, strict=True)]
    return np.concatenate([*edges, cuts[-1:]])


def mixture_entropy_1d(points: np.ndarray, noise_std: float, weights: np.ndarray | None = None) -> float:
    """Differential entropy (nats) of the 1-D Gaussian mixture ``g(t) = sum_j w_j phi_s(t - p_j)`` by composite
    Gauss-Legendre quadrature of ``-g log g`` (see the module docstring for the pieces and the accuracy).

    Args:
        points: the component means (any order, repeats allowed).
        noise_std: ``s > 0``, the components' standard deviation.
        weights: non-negative component weights (normalised here); ``None`` for equal weights.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1)
    s = check_positive("noise_std", noise_std)
    if p.size == 0 or not np.all(np.isfinite(p)):
        raise ValueError("points must be a non-empty array of finite numbers")
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != p.shape or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative, one per point, with a positive sum")
    keep = w > 0
    p, w = p[keep], w[keep] / w[keep].sum()
    edges = _pieces(p, s)
    nodes, node_weights = np.polynomial.legendre.leggauss(GAUSS_NODES)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    t = (mid[:, None] + half[:, None] * nodes[None, :]).reshape(-1)
    tw = (half[:, None] * node_weights[None, :]).reshape(-1)
    log_norm = -0.5 * math.log(2.0 * math.pi * s * s)
    out = 0.0
    for start in range(0, t.size, 4096):
        tt = t[start : start + 4096]
        log_g = special.logsumexp(-0.5 * ((tt[:, None] - p[None, :]) / s) ** 2, axis=1, b=w[None, :]) + log_norm
        out -= float(np.sum(tw[start : start + 4096] * np.exp(log_g) * log_g))
    return out


def channel_mi_quadrature(points_1d: np.ndarray, noise_std: float, labels: np.ndarray | None = None) -> float:
    """MI (nats) of a uniform choice among 1-D points sent through ``N(0, s^2)`` noise, by quadrature.

    Without ``labels``: ``I(X; T) = h(g) - 1/2 log(2 pi e s^2)``; with ``labels``:
    ``I(T; Y) = h(g) - sum_y (k_y / k) h(g_y)``. Accurate to ``1e-12`` nats (see the module docstring); the result
    is clipped at 0 (an exactly uninformative channel gives rounding-level negatives otherwise).
    """
    p = np.asarray(points_1d, dtype=np.float64).reshape(-1)
    s = check_positive("noise_std", noise_std)
    h = mixture_entropy_1d(p, s)
    if labels is None:
        value = h - 0.5 * math.log(2.0 * math.pi * math.e * s * s)
    else:
        cls, n_classes = _as_labels(labels, p.size)
        value = h - sum(float(np.mean(cls == c)) * mixture_entropy_1d(p[cls == c], s) for c in range(n_classes))
    return max(value, 0.0)


def product_channel_mi(points_1d: np.ndarray, dim: int, noise_std: float) -> float:
    """``I(X; T)`` for ``X`` uniform on the product set ``P^dim`` (e.g. the cube corners ``{-a, a}^dim``) through
    isotropic noise: ``dim x`` the 1-D quadrature value (independent coordinates)."""
    dim = check_int("dim", dim, 1)
    return dim * channel_mi_quadrature(points_1d, noise_std)
