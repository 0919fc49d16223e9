"""Gaussian-kernel estimators: the KDE plug-in and the Kolchinsky-Tracey pairwise-distance bounds.

* :class:`KDE` -- the resubstitution (leave-one-out) kernel-density plug-in ``I = h(X) + h(Y) - h(X, Y)`` for
  continuous data, with a Scott or Silverman bandwidth on standardised coordinates.
* :class:`KolchinskyTracey` -- the bounds on the mutual information of a *noisy* representation
  ``T = h(X) + Z``, ``Z ~ N(0, s^2 I)``, with the input X uniform on the sample, that Saxe et al. (ICLR 2018)
  used for their information planes ("KDE upper / lower"), from Kolchinsky & Tracey (2017), "Estimating
  mixture entropy with pairwise distances", Entropy 19:361. :class:`KolchinskyTraceyUpper` and
  :class:`KolchinskyTraceyLower` are the same class with the bound fixed, for the registry.

Both are O(n^2) in time. Rows are processed in blocks (:data:`BLOCK_BYTES` of float64 per work buffer), so
memory is O(n * block), never an n x n matrix, and every log-sum is taken in a form that cannot overflow. Blocks
run on a pool of threads (the runner's per-job thread cap ``MIBENCH_WORKER_THREADS``, else every core); the
result does not depend on the number of threads.

Squared distances: from :data:`GEMM_MIN_DIM` dimensions on they are computed as ``|a|^2 + |b|^2 - 2 a.b`` (a
matrix product) after centring the data, whose absolute rounding error is about ``1e-16 * (|a|^2 + |b|^2)``;
below that, by exact coordinate differences (``scipy.spatial.distance.cdist``): the product pays off only once
the dimension is large enough for its arithmetic to outweigh the extra passes over the block; :data:`GEMM_MIN_DIM`
is about where the two are equally fast.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
from scipy.spatial.distance import cdist
from threadpoolctl import threadpool_limits

from mibench.estimators._scale import rescale_columns
from mibench.estimators._threads import thread_count
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample
from mibench.validation import check_int, check_positive

__all__ = [
    "KDE",
    "KolchinskyTracey",
    "KolchinskyTraceyLower",
    "KolchinskyTraceyUpper",
    "bandwidth_factor",
    "kde_loo_mean_log_kernel_sums",
    "pairwise_mixture_terms",
]

#: Bytes of one (block rows x n) float64 work buffer. Small enough that a block's buffers stay in the CPU's
#: cache between the passes over them (larger blocks ran slower; ``benchmarks/test_kde.py::test_ratio_block_size``
#: times block sizes).
BLOCK_BYTES = 2 * 2**20

#: Rows per block at least (a matrix product needs some rows to be efficient).
MIN_BLOCK_ROWS = 16

#: Dimension from which squared distances come from a matrix product instead of exact differences.
GEMM_MIN_DIM = 16

#: Kernel exponents are clipped below at this value before ``exp``. ``exp(-700) ~ 1e-304`` is still a normal
#: double, so no term is subnormal (subnormal results make ``exp`` several times slower), and every row sum
#: contains a term equal to 1, so the clipped terms change no sum by more than ``n * 1e-304``.
EXP_FLOOR = -700.0

BandwidthRule = Literal["scott", "silverman"]
Bound = Literal["upper", "lower"]
Target = Literal["input", "labels"]
_R = TypeVar("_R")


# --------------------------------------------------------------------------------------------------------------
# Blocked kernel sums
# --------------------------------------------------------------------------------------------------------------


def _rows_per_block(n: int, block_rows: int | None) -> int:
    if block_rows is None:
        return min(n, max(MIN_BLOCK_ROWS, BLOCK_BYTES // (8 * n)))
    return min(check_int("block_rows", block_rows), n)


def _threads(threads: int | None) -> int:
    if threads is not None:
        return max(1, int(threads))
    return thread_count()  # the runner's per-job cap, else every usable core


def _map_blocks(
    n: int, rows: int, n_buffers: int, work: Callable[[int, int, list[np.ndarray]], _R], threads: int | None
) -> list[_R]:
    """``[work(start, stop, buffers) for each block of rows]`` in block order, on a pool of threads.

    Each thread owns ``n_buffers`` scratch arrays of shape ``(rows, n)`` (numpy and cdist release the GIL in
    the heavy loops). The results come back in block order, so the caller's sums do not depend on the number
    of threads.
    """
    blocks = [(start, min(n, start + rows)) for start in range(0, n, rows)]
    local = threading.local()

    def run(block: tuple[int, int]) -> _R:
        buffers = getattr(local, "buffers", None)
        if buffers is None:
            buffers = local.buffers = [np.empty((rows, n)) for _ in range(n_buffers)]
        start, stop = block
        return work(start, stop, [b[: stop - start] for b in buffers])

    workers = min(_threads(threads), len(blocks))
    # One BLAS thread per block: the blocks are the parallelism, and multithreaded BLAS on these thin products
    # only contends with them.
    with threadpool_limits(limits=1, user_api="blas"):
        if workers <= 1:
            return [run(block) for block in blocks]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, blocks))


class _SquaredDistances:
    """Squared Euclidean distances from a block of rows to all rows, written into a caller's buffer."""

    def __init__(self, points: np.ndarray):
        self.points = np.ascontiguousarray(points - points.mean(axis=0))
        self.use_matmul = points.shape[1] >= GEMM_MIN_DIM
        if self.use_matmul:
            self.norms = np.einsum("ij,ij->i", self.points, self.points)
            self.transposed = np.ascontiguousarray(self.points.T)

    def block(self, start: int, stop: int, out: np.ndarray) -> np.ndarray:
        """``out[r, j] = |p[start + r] - p[j]|^2`` (``out`` has ``stop - start`` rows); 0 exactly on the diagonal."""
        rows = self.points[start:stop]
        if not self.use_matmul:
            return cdist(rows, self.points, "sqeuclidean", out=out)
        np.matmul(rows, self.transposed, out=out)
        out *= -2.0
        out += self.norms[start:stop, None]
        out += self.norms[None, :]
        np.maximum(out, 0.0, out=out)
        local = np.arange(stop - start)
        out[local, start + local] = 0.0
        return out


def _exp_kernel(sq_dist: np.ndarray, inv_two_var: float, out: np.ndarray) -> np.ndarray:
    """``out = exp(max(-sq_dist * inv_two_var, EXP_FLOOR))``."""
    np.multiply(sq_dist, -inv_two_var, out=out)
    np.maximum(out, EXP_FLOOR, out=out)
    return np.exp(out, out=out)


def kde_loo_mean_log_kernel_sums(
    parts: list[np.ndarray],
    bandwidths: list[float],
    block_rows: int | None = None,
    threads: int | None = None,
) -> list[float]:
    """Leave-one-out kernel terms of the KDE plug-in for each part and for all parts jointly.

    For each ``u`` in ``parts`` and then for ``u`` = all parts side by side (``len(parts) + 1`` terms, matched
    with ``bandwidths``), returns ``(1/n) sum_i log sum_{j != i} exp(-|u_i - u_j|^2 / (2 b^2))``.

    Blocked: the joint squared distance is the sum of the parts' ones, so each block computes one distance
    matrix per part; memory is ``len(parts) + 2`` buffers of ``block_rows x n`` doubles per thread. Each row's
    log-sum is shifted by the row's smallest distance (its largest term), so it stays exact even when every
    kernel value of a far-away point would underflow. ``threads``: default the runner's per-job cap, else all
    cores.
    """
    n = parts[0].shape[0]
    if len(bandwidths) != len(parts) + 1:
        raise ValueError("need one bandwidth per part plus one for the joint term")
    rows = _rows_per_block(n, block_rows)
    dists = [_SquaredDistances(p) for p in parts]
    inv_two_vars = [1.0 / (2.0 * b**2) for b in bandwidths]

    def work(start: int, stop: int, buffers: list[np.ndarray]) -> list[float]:
        *part_buffers, joint, scratch = buffers
        local = np.arange(stop - start)
        blocks = []
        for dist, buf in zip(dists, part_buffers, strict=True):
            block = dist.block(start, stop, buf)
            block[local, start + local] = np.inf  # leave one out
            blocks.append(block)
        if len(blocks) == 1:
            joint_block = blocks[0]
        else:
            joint_block = np.add(blocks[0], blocks[1], out=joint)
            for block in blocks[2:]:
                joint_block += block
        sums = []
        for block, inv_two_var in zip([*blocks, joint_block], inv_two_vars, strict=True):
            nearest = block.min(axis=1)
            kernel = _exp_kernel(np.subtract(block, nearest[:, None], out=scratch), inv_two_var, scratch)
            kernel[local, start + local] = 0.0
            sums.append(float(np.sum(np.log(kernel.sum(axis=1)) - nearest * inv_two_var)))
        return sums

    per_block = _map_blocks(n, rows, len(parts) + 2, work, threads)
    return [float(np.sum(column)) / n for column in zip(*per_block, strict=True)]


def pairwise_mixture_terms(
    points: np.ndarray,
    noise_variance: float,
    labels: np.ndarray | None = None,
    block_rows: int | None = None,
    threads: int | None = None,
) -> dict[str, float]:
    """The Kolchinsky-Tracey pairwise sums of a Gaussian mixture with centres ``points`` and covariance s^2 I.

    With ``k_ij = exp(-|p_i - p_j|^2 / (2 v))`` for ``v = s^2`` (``"kl"``: the KL divergence between the
    components i and j is ``|p_i - p_j|^2 / (2 s^2)``) and ``v = 4 s^2`` (``"bd"``: the Bhattacharyya distance
    is ``|p_i - p_j|^2 / (8 s^2)``), returns

    * ``"kl"``, ``"bd"``: ``-(1/n) sum_i log[(1/n) sum_j k_ij]`` (the self-term j = i included);
    * with ``labels`` (an integer class per row) also ``"kl_within"``, ``"bd_within"``:
      ``-(1/n) sum_i log[(1/n_{y_i}) sum_{j: y_j = y_i} k_ij]``, which equals
      ``sum_y p(y) [-(1/n_y) sum_{i in y} log((1/n_y) sum_{j in y} k_ij)]`` with ``p(y) = n_y / n``.

    Every row sum contains ``k_ii = 1``, so no log-sum can underflow. Memory O(n * block_rows) per thread.
    """
    n = points.shape[0]
    rows = _rows_per_block(n, block_rows)
    if labels is not None:
        order = np.argsort(labels, kind="stable")
        points = points[order]
        sorted_labels = np.asarray(labels)[order]
        new_class = np.r_[True, sorted_labels[1:] != sorted_labels[:-1]]
        starts = np.flatnonzero(new_class)
        class_of_row = np.cumsum(new_class) - 1
        class_sizes = np.diff(np.r_[starts, n])
    dist = _SquaredDistances(points)
    kernels = {"kl": 1.0 / (2.0 * noise_variance), "bd": 1.0 / (8.0 * noise_variance)}

    def work(start: int, stop: int, buffers: list[np.ndarray]) -> list[float]:
        sq, scratch = buffers
        block = dist.block(start, stop, sq)
        sums = []
        for inv_two_var in kernels.values():
            kernel = _exp_kernel(block, inv_two_var, scratch)
            if labels is None:
                sums.append(float(np.sum(np.log(kernel.sum(axis=1)))))
                continue
            class_sums = np.add.reduceat(kernel, starts, axis=1)
            own = class_of_row[start:stop]
            sums.append(float(np.sum(np.log(class_sums.sum(axis=1)))))
            sums.append(float(np.sum(np.log(class_sums[np.arange(stop - start), own] / class_sizes[own]))))
        return sums

    totals = [float(np.sum(column)) for column in zip(*_map_blocks(n, rows, 2, work, threads), strict=True)]
    if labels is None:
        return {"kl": math.log(n) - totals[0] / n, "bd": math.log(n) - totals[1] / n}
    return {
        "kl": math.log(n) - totals[0] / n,
        "kl_within": -totals[1] / n,
        "bd": math.log(n) - totals[2] / n,
        "bd_within": -totals[3] / n,
    }


# --------------------------------------------------------------------------------------------------------------
# KDE plug-in
# --------------------------------------------------------------------------------------------------------------


def bandwidth_factor(rule: str | float, n: int, dim: int) -> float:
    """The kernel standard deviation in units of each coordinate's sample SD.

    ``"scott"``: ``n^(-1/(d+4))`` (Scott 1992, Multivariate Density Estimation); ``"silverman"``:
    ``(4/(d+2))^(1/(d+4)) n^(-1/(d+4))`` (Silverman 1986, Density Estimation, the normal-reference rule); the
    same factors as ``scipy.stats.gaussian_kde``, which however scales by the full covariance, not per column.
    A number: that value, in every dimension.
    """
    if isinstance(rule, str):
        if rule == "scott":
            return float(n ** (-1.0 / (dim + 4)))
        if rule == "silverman":
            return float((4.0 / (dim + 2)) ** (1.0 / (dim + 4)) * n ** (-1.0 / (dim + 4)))
        raise ValueError(f"KDE: unknown bandwidth rule {rule!r}; use 'scott', 'silverman' or a positive number")
    return check_positive("KDE: bandwidth (when not 'scott' or 'silverman')", rule)


def _standardise(name: str, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(standardised columns, log of each column's SD)``. A column of extreme magnitude is first rescaled by a
    power of two (:func:`~mibench.estimators._scale.rescale_columns`), so its variance neither overflows nor
    underflows; the standardised values do not depend on that step."""
    data, exponents = rescale_columns(data)
    sd = data.std(axis=0, ddof=1)
    constant = np.flatnonzero(~(sd > 0))
    if constant.size:
        raise ValueError(
            f"KDE: {name} has constant column(s) {constant.tolist()}; the kernel bandwidth is scaled by each "
            "column's standard deviation, which is 0 there (drop those columns: a constant carries no information)"
        )
    return (data - data.mean(axis=0)) / sd, np.log(sd) + exponents * math.log(2.0)


class KDE(BaseEstimator):
    r"""Gaussian-kernel density plug-in estimate of mutual information, in nats.

    .. math::

        \hat I = \hat h(X) + \hat h(Y) - \hat h(X, Y), \qquad
        \hat h(U) = -\frac1n \sum_{i=1}^n \log\Big[\frac{1}{n-1} \sum_{j \ne i} K_b(u_i - u_j)\Big],

    the leave-one-out resubstitution entropy estimate (Ahmad & Lin 1976, IEEE Trans. Inf. Theory 22:372;
    Beirlant, Dudewicz, Gyorfi & van der Meulen 1997, "Nonparametric entropy estimation: an overview") with
    the isotropic Gaussian kernel :math:`K_b(u) = (2\pi b^2)^{-d/2} \exp(-|u|^2 / (2 b^2))` on *standardised*
    coordinates: every column of x and y is centred and divided by its sample standard deviation (ddof = 1)
    once, and the same standardised columns are used in the marginal and the joint terms. The Jacobians of
    the standardisation (:math:`\sum_c \log \mathrm{sd}_c`) then cancel exactly between the three entropies, so
    the estimate is invariant to rescaling or shifting any coordinate (and to permuting coordinates and
    swapping x and y), but not to rotations or nonlinear maps.

    Bandwidth :math:`b` (in units of the SD) per term, with d the dimension of that term (dim_x, dim_y or
    dim_x + dim_y): ``"scott"`` :math:`n^{-1/(d+4)}`, ``"silverman"``
    :math:`(4/(d+2))^{1/(d+4)} n^{-1/(d+4)}`, or a fixed positive number used for all three terms.

    The plug-in is biased: the kernel smooths the joint density more than the marginals, so it underestimates
    strong dependence (for a bivariate Gaussian the smoothing part of the bias is known in closed form, see the
    tests); the bias vanishes as n grows. O(n^2) time, O(n * block) memory.

    Args:
        bandwidth: ``"scott"`` (default), ``"silverman"`` or the kernel SD in units of each column's SD.
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=False, stochastic=False, min_samples=3)

    def __init__(self, *, bandwidth: BandwidthRule | float = "scott"):
        self.bandwidth = bandwidth

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus the bandwidths (SD units) and the three entropy estimates (nats, data units)."""
        bandwidth_factor(self.bandwidth, 2, 1)  # validate the rule before looking at the data
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples)
        n, dx, dy = x2.shape[0], x2.shape[1], y2.shape[1]
        xs, log_sds_x = _standardise("x", x2)
        ys, log_sds_y = _standardise("y", y2)
        dims = [dx, dy, dx + dy]
        widths = [bandwidth_factor(self.bandwidth, n, d) for d in dims]
        sums = kde_loo_mean_log_kernel_sums([xs, ys], widths)
        # h(U) in standardised units, then back in data units (adding sum log sd; it cancels in the MI)
        h_std = [
            -s + math.log(n - 1) + 0.5 * d * math.log(2 * math.pi * b**2)
            for s, d, b in zip(sums, dims, widths, strict=True)
        ]
        log_sd_x, log_sd_y = float(np.sum(log_sds_x)), float(np.sum(log_sds_y))
        value = h_std[0] + h_std[1] - h_std[2]
        info: dict[str, Any] = {
            "bandwidth_rule": self.bandwidth if isinstance(self.bandwidth, str) else "fixed",
            "bandwidth_x": widths[0],
            "bandwidth_y": widths[1],
            "bandwidth_xy": widths[2],
            "entropy_x": h_std[0] + log_sd_x,
            "entropy_y": h_std[1] + log_sd_y,
            "entropy_xy": h_std[2] + log_sd_x + log_sd_y,
        }
        return Estimate(float(value), info)


# --------------------------------------------------------------------------------------------------------------
# Kolchinsky-Tracey bounds
# --------------------------------------------------------------------------------------------------------------


def _check_noise_variance(value: Any) -> float:
    return check_positive("KolchinskyTracey: noise_variance", value)


def _class_indices(y: np.ndarray) -> np.ndarray:
    """Labels (n, k) -> class index per row (each distinct row one class); ValueError unless integer-valued."""
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(y == np.round(y)):
            raise ValueError(
                "KolchinskyTracey with target='labels' needs integer class labels in y, got non-integer values "
                "(for a continuous y use target='input' or another estimator)"
            )
    _, index = np.unique(y, axis=0, return_inverse=True)
    return index.reshape(-1)


class KolchinskyTracey(BaseEstimator):
    r"""Kolchinsky-Tracey pairwise-distance bounds for a noisy representation (information planes), in nats.

    Setting (Saxe et al. 2018, "On the information bottleneck theory of deep learning", ICLR, and their public
    code, github.com/artemyk/ibsgd): X is uniform on the n sample points, a layer computes ``h_i = f(x_i)`` and the
    representation is ``T = h(X) + Z`` with ``Z ~ N(0, s^2 I)``, ``s^2`` = ``noise_variance``. T is a mixture
    of n Gaussians with centres :math:`h_i` and weights 1/n. Kolchinsky & Tracey (2017, Entropy 19:361) bound
    the entropy of such a mixture by
    :math:`\hat H_D = H(T|X) - \frac1n \sum_i \log \frac1n \sum_j e^{-D(p_i \| p_j)}`: an upper bound with the
    KL divergence :math:`D = |h_i - h_j|^2 / (2 s^2)`, a lower bound with the Bhattacharyya distance
    :math:`D = |h_i - h_j|^2 / (8 s^2)`. Both are exact when the centres form clusters that are either
    identical or far apart.

    ``target="input"`` -- I(X;T), with ``y`` the layer values :math:`h_i` (n, d) and ``x`` the inputs, used
    **only for their number of rows** (the bound depends on the sample of h alone). Since
    :math:`H(T|X) = \tfrac d2 \log(2\pi e s^2)` cancels,

    .. math::

        I(X;T) \le -\frac1n \sum_i \log\Big[\frac1n \sum_j e^{-|h_i - h_j|^2/(2s^2)}\Big] \ (\le \log n),
        \qquad I(X;T) \ge \text{the same with } 8 s^2.

    ``target="labels"`` -- I(T;Y), with ``x`` the layer values :math:`h_i` and ``y`` integer class labels
    (each distinct row of y one class). :math:`I(T;Y) = H(T) - \sum_y p(y) H(T|Y{=}y)` with
    :math:`p(y) = n_y/n` and :math:`T|Y{=}y` the mixture of the class's components, weights :math:`1/n_y`.
    Returned, as Saxe et al. computed it, is the difference of the *same* bound for both entropies,
    ``"upper"``: :math:`\hat H_{KL}(T) - \sum_y p(y) \hat H_{KL}(T|y)`, ``"lower"``: the same with BD. These are
    estimates, not guaranteed bounds (an entropy bound minus an entropy bound of the same direction bounds
    nothing). The guaranteed bracket :math:`\hat H_{BD}(T) - \sum p(y) \hat H_{KL}(T|y) \le I(T;Y) \le
    \hat H_{KL}(T) - \sum p(y) \hat H_{BD}(T|y)` is reported in ``info`` (``guaranteed_lower``,
    ``guaranteed_upper``); both same-kernel values lie inside it and are at most the label entropy H(Y). When
    each class's centres coincide (a mixture of one Gaussian per class) the within-class terms vanish and the
    same-kernel values are guaranteed bounds too.

    With a continuous X of which the sample holds n draws, the bounds concern X uniform on the draws (so
    they never exceed log n); as n grows they converge to the Kolchinsky-Tracey bounds of the continuous
    mixture. For X ~ N(0, I_d), h = X these are :math:`I + \tfrac{d}{2(1+s^2)}` and
    :math:`\tfrac d2 \log(1 + \tfrac{1}{4s^2}) + \tfrac{d}{2(1+4s^2)}` around the truth
    :math:`I = \tfrac d2 \log(1 + 1/s^2)`: the gap between the bounds does not shrink with n (0.67 nats per
    dimension at s^2 = 0.1; it is 0 for clustered components).

    Both bounds are always computed in one pass (``info`` carries both); ``bound`` picks the returned value.
    ``target`` and ``noise_variance`` are task-supplied context (``tags.task_context``): a network task says which
    quantity it holds, I(X;T) or I(T;Y), and a noisy-channel task its noise variance; the runner passes them unless
    the suite sets them itself. White-box (``tags.white_box``): on a noisy-channel task the runner passes the clean
    layer values, which the bounds take as the centres of the mixture, so they bound the channel's own I(X;T) or
    I(T;Y) (on other tasks, e.g. the quantized networks, they run on the sample with their own ``noise_variance``).
    O(n^2 d) time, O(n * block) memory.

    Args:
        noise_variance: :math:`s^2`, the variance of the added noise per coordinate (1e-3 for the 12-bit
            network of Saxe et al., 0.1 for MNIST; in the units of the layer's values).
        bound: ``"upper"`` (KL kernel, default) or ``"lower"`` (Bhattacharyya kernel).
        target: ``"input"`` for I(X;T) with y = T (default) or ``"labels"`` for I(T;Y) with x = T, y = labels.
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(
        accepts_discrete=True,
        stochastic=False,
        min_samples=2,
        expected_failures=(
            (
                "near_zero_on_independent_data",
                "it bounds I(X;T) of a noisy layer T = y + N(0, s^2 I) with X uniform on the sample, not I(x;y): "
                "distinct rows of y give about log n whatever x is",
            ),
            (
                "gaussian_accuracy",
                "it bounds I(X;T) of a noisy layer T = y + N(0, s^2 I) with X uniform on the sample, not I(x;y) "
                "of a continuous pair",
            ),
        ),
        task_context=("noise_variance", "target"),
        white_box=True,
    )

    def __init__(self, *, noise_variance: float = 1e-3, bound: Bound = "upper", target: Target = "input"):
        self.noise_variance = noise_variance
        self.bound = bound
        self.target = target

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The chosen bound plus both bounds (and for labels the guaranteed bracket) in ``info``."""
        noise_variance = _check_noise_variance(self.noise_variance)
        if self.bound not in ("upper", "lower"):
            raise ValueError(f"KolchinskyTracey: unknown bound {self.bound!r}; use 'upper' or 'lower'")
        if self.target not in ("input", "labels"):
            raise ValueError(f"KolchinskyTracey: unknown target {self.target!r}; use 'input' or 'labels'")
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples, allow_integer=True)
        n = x2.shape[0]
        info: dict[str, Any] = {"target": self.target, "noise_variance": noise_variance}
        if self.target == "input":
            layer = y2.astype(np.float64, copy=False)
            terms = pairwise_mixture_terms(layer, noise_variance)
            upper, lower = terms["kl"], terms["bd"]
            info["log_n"] = math.log(n)
        else:
            layer = x2.astype(np.float64, copy=False)
            classes = _class_indices(y2)
            terms = pairwise_mixture_terms(layer, noise_variance, labels=classes)
            upper = terms["kl"] - terms["kl_within"]
            lower = terms["bd"] - terms["bd_within"]
            p = np.bincount(classes) / n
            info.update(
                guaranteed_upper=terms["kl"] - terms["bd_within"],
                guaranteed_lower=terms["bd"] - terms["kl_within"],
                n_classes=int(p.size),
                label_entropy=float(-np.sum(p * np.log(p))),
            )
        dim = layer.shape[1]
        info.update(
            upper=float(upper),
            lower=float(lower),
            conditional_entropy=0.5 * dim * math.log(2 * math.pi * math.e * noise_variance),
        )
        return Estimate(float(upper if self.bound == "upper" else lower), info)


class KolchinskyTraceyUpper(KolchinskyTracey):
    """:class:`KolchinskyTracey` with ``bound="upper"`` fixed (the registry's ``kde-upper``)."""

    def __init__(self, *, noise_variance: float = 1e-3, target: Target = "input"):
        super().__init__(noise_variance=noise_variance, bound="upper", target=target)


class KolchinskyTraceyLower(KolchinskyTracey):
    """:class:`KolchinskyTracey` with ``bound="lower"`` fixed (the registry's ``kde-lower``)."""

    def __init__(self, *, noise_variance: float = 1e-3, target: Target = "input"):
        super().__init__(noise_variance=noise_variance, bound="lower", target=target)
