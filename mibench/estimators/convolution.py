r"""The Gaussian-convolution (sample-propagation) estimator of the information in a noisy channel.

Setting (Goldfeld, van den Berg, Greenewald, Melnyk, Nguyen, Kingsbury & Polyanskiy, "Estimating Information
Flow in Deep Neural Networks", ICML 2019; the estimator and its risk bounds: Goldfeld, Greenewald & Polyanskiy,
"Convergence of Smoothed Empirical Measures with Applications to Entropy Estimation", IEEE Trans. Inf. Theory
66(7), 2020, arXiv:1810.11589): a variable :math:`T = S + Z` with clean values :math:`S = f(X)` and Gaussian noise
:math:`Z \sim N(0, b^2 I_d)` of a *known* level b. The law of T is :math:`P_S * \varphi_b`, and

.. math::

    I(X;T) = h(P_S * \varphi_b) - \tfrac d2 \log(2\pi e b^2), \qquad
    I(T;Y) = h(P_S * \varphi_b) - \sum_y P(y)\, h(P_{S|Y=y} * \varphi_b).

The plug-in replaces :math:`P_S` by the empirical measure of n clean values :math:`S_1 .. S_n` (the centres):
the entropy of the Gaussian mixture :math:`g(t) = \frac1n \sum_i \varphi_b(t - S_i)` with the kernel width
*exactly* b (nothing is tuned), computed by Monte Carlo with m draws per centre,

.. math::

    \hat h = -\frac{1}{nm} \sum_{i=1}^n \sum_{j=1}^m \log g(S_i + Z_{ij}), \qquad Z_{ij} \sim N(0, b^2 I_d),

which is unbiased for :math:`h(g)`; its variance is :math:`\frac{1}{n^2 m} \sum_i \mathrm{Var}[\log g(S_i + Z)]`.
For labels each class's mixture :math:`g_y` has the weights :math:`1/n_y`.

Computation. In units of b (centres :math:`u_k = (S_k - \bar S)/b`, query :math:`q = u_i + \varepsilon`,
:math:`\varepsilon \sim N(0, I_d)`), :math:`\log g(q) = -\log n - \tfrac d2 \log(2\pi b^2) - C +
\log \sum_k e^{E_k}` with :math:`C = |\varepsilon|^2/2` and :math:`E_k = -|q - u_k|^2/2 + C` the exponent of
centre k relative to the query's own centre (:math:`E_i = 0`). One matrix product of the augmented rows
:math:`[q, 1, C - |q|^2/2]` with the columns :math:`[u_k, -|u_k|^2/2, 1]` gives all :math:`E_k` of a block of
queries; every row sum then contains its own term :math:`e^0 = 1` (so its logarithm cannot underflow) and no
term above :math:`e^C` (rows with :math:`C >` :data:`WIDE_EXPONENT`, which need d in the thousands, take an exact
max-shifted path instead). The product's rounding error in an exponent is about :math:`10^{-16} |u|^2` after
centring (1e-9 for values of size 1 at b = 1e-3). Exponents are clipped below at :data:`EXP_FLOOR` (which changes
no sum by more than :math:`n e^{-700}`) because ``exp`` of very negative numbers is many times slower. Queries are
processed in blocks of ``block`` rows against all n centres, so memory is O(n x block) per thread (never
n x n x m); blocks run on a pool of threads (the runner's per-job cap ``MIBENCH_WORKER_THREADS``, else every core).

Noise is drawn per chunk of :data:`CHUNK_CENTRES` consecutive centres from its own stream
(``SeedSequence(seed, spawn_key=(stage, chunk))``), so the value for a seed does not depend on ``block`` or on
the number of threads.

Control variate. :math:`C_{ij} = |Z_{ij}|^2/(2b^2)` has the known mean d/2 and is computed anyway. For a centre
far from the others at scale b, :math:`\log g(S_i+Z) \approx -\log n - \tfrac d2\log(2\pi b^2) - C`, whose
variance d/2 is all C's; subtracting :math:`\gamma (\bar C - d/2)`, with :math:`\gamma` the pooled
within-centre regression slope of the per-draw values on C, removes it (with :math:`\gamma = 1`, the per-draw
value of I(X;T) is :math:`\log n - \log \sum_k e^{E_k}`: the log-likelihood ratio of the channel). The
expectation is unchanged (the estimator stays the plug-in; estimating :math:`\gamma` from the same draws costs
a bias of order 1/(nm)), and the Monte-Carlo variance falls by orders of magnitude for the small noise levels
of information-plane studies (see ``reports/gaussian_convolution.md``). ``control_variate=False`` gives the
plain estimator of Goldfeld et al.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

from mibench.estimators._threads import run_parallel, thread_count
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample
from mibench.validation import check_int, check_positive

__all__ = [
    "BLOCK_BYTES",
    "CHUNK_CENTRES",
    "EXP_FLOOR",
    "MAX_AUTO_QUERIES",
    "PILOT_QUERIES",
    "WIDE_EXPONENT",
    "ConvolvedDraws",
    "GaussianConvolution",
    "MonteCarloMean",
    "control_variate_mean",
    "convolved_draws",
]

#: Bytes of one (block rows x n) float64 work buffer when ``block`` is not given (the queries of a block and
#: their exponents stay in the CPU's cache between the passes over them; 64 rows at n = 4096 timed fastest).
BLOCK_BYTES = 2 * 2**20

#: Rows per block at least (a matrix product needs some rows to be efficient).
MIN_BLOCK_ROWS = 16

#: Centres per random stream and per unit of parallel work.
CHUNK_CENTRES = 64

#: Exponents are clipped below at this value before ``exp``: ``exp(-700) ~ 1e-304`` is still a normal double
#: (``exp`` of smaller numbers, giving subnormals or zeros, runs up to a hundred times slower), and every row
#: sum holds a term equal to 1, so the clipped terms change no sum by more than ``n * 1e-304``.
EXP_FLOOR = -700.0

#: Rows whose own-term shift C = |eps|^2 / 2 exceeds this may hold terms up to e^C and are summed after shifting
#: by their largest exponent instead (``exp(600) * n`` is finite for any n below e^100).
WIDE_EXPONENT = 600.0

#: With ``draws=None``: the first stage draws ``max(2, ceil(PILOT_QUERIES / n))`` per centre.
PILOT_QUERIES = 256

#: With ``draws=None``: at most this many queries (n x draws) in all, whatever the first stage predicts.
MAX_AUTO_QUERIES = 2**22

#: The second stage aims at this fraction of the target variance, so that the achieved standard error is at
#: most ``target_stderr`` in most runs despite the noise of the first stage's variance estimate.
_VARIANCE_MARGIN = 0.8

Target = Literal["input", "labels"]


# --------------------------------------------------------------------------------------------------------------
# Monte-Carlo draws of the convolved mixture
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvolvedDraws:
    r"""Per-draw quantities of the Monte-Carlo integration, each of shape (n, m) (row i: the draws of centre i).

    Attributes:
        log_sum: :math:`\log \sum_k e^{E_k}` over all centres (:math:`E_k` relative to the own centre, see the
            module docstring), so :math:`\log g(S_i + Z_{ij}) = -\log n - \tfrac d2 \log(2\pi b^2) - C_{ij} +`
            ``log_sum``.
        log_sum_own_class: the same sum over the centres of the query's own class (None without labels), so
            :math:`\log g_{y_i}(S_i + Z_{ij}) = -\log n_{y_i} - \tfrac d2 \log(2\pi b^2) - C_{ij} +` this.
        half_sq_noise: :math:`C_{ij} = |Z_{ij}|^2 / (2 b^2)`, of mean d/2.
    """

    log_sum: np.ndarray
    log_sum_own_class: np.ndarray | None
    half_sq_noise: np.ndarray

    @staticmethod
    def concatenate(parts: list[ConvolvedDraws]) -> ConvolvedDraws:
        """The draws of several stages side by side (more draws per centre)."""
        own = [p.log_sum_own_class for p in parts]
        return ConvolvedDraws(
            np.concatenate([p.log_sum for p in parts], axis=1),
            None if own[0] is None else np.concatenate(own, axis=1),  # type: ignore[arg-type]
            np.concatenate([p.half_sq_noise for p in parts], axis=1),
        )


def _block_rows(n: int, block: int | None) -> int:
    if block is None:
        return max(MIN_BLOCK_ROWS, BLOCK_BYTES // (8 * n))
    return block


def convolved_draws(
    centres: np.ndarray,
    noise_std: float,
    draws: int,
    seed: int | np.random.SeedSequence | None,
    *,
    labels: np.ndarray | None = None,
    stage: int = 0,
    block: int | None = None,
    threads: int | None = None,
) -> ConvolvedDraws:
    r"""Draw :math:`S_i + Z_{ij}` for every centre and ``draws`` draws each, and evaluate the mixture there.

    Args:
        centres: (n, d) float64 clean values :math:`S_i`.
        noise_std: b > 0.
        draws: m >= 1 draws per centre.
        seed: the root of the noise streams (an int, a ``SeedSequence``, or None for fresh entropy); centre chunk
            c of stage ``stage`` draws from ``SeedSequence(root entropy, spawn_key=(stage, c))``.
        labels: (n,) class index per centre in ``0 .. k-1`` (every class present), or None.
        block: queries per work buffer (memory ``block x n`` doubles per thread); default
            :data:`BLOCK_BYTES` worth of rows.
        threads: default the runner's per-job cap, else every core. Neither ``block`` nor ``threads`` changes the
            draws; they change the value only by floating-point summation order.

    Returns:
        :class:`ConvolvedDraws` with arrays of shape (n, draws).
    """
    n, d = centres.shape
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    centre = centres.mean(axis=0)
    scaled = (centres - centre) / noise_std
    order = None if labels is None else np.argsort(labels, kind="stable")
    columns = scaled if order is None else scaled[order]
    # Columns [u_k, -|u_k|^2 / 2, 1] of the augmented product, transposed once: (d + 2, n).
    operand = np.empty((d + 2, n))
    operand[:d] = columns.T
    operand[d] = -0.5 * np.einsum("ij,ij->i", columns, columns)
    operand[d + 1] = 1.0
    starts = None
    if labels is not None:
        sorted_labels = labels[order]
        starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ones = np.ones(n)  # row sums as a matrix-vector product: about twice as fast as np.sum over the block
    rows = min(_block_rows(n, block), CHUNK_CENTRES * draws)
    local = threading.local()

    def unit(chunk: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        lo, hi = chunk * CHUNK_CENTRES, min(n, (chunk + 1) * CHUNK_CENTRES)
        rng = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, stage, chunk)))
        eps = rng.standard_normal((hi - lo, draws, d))
        half_sq = 0.5 * np.einsum("ijk,ijk->ij", eps, eps).reshape(-1)
        queries = (scaled[lo:hi, None, :] + eps).reshape(-1, d)
        augmented = np.empty((queries.shape[0], d + 2))
        augmented[:, :d] = queries
        augmented[:, d] = 1.0
        augmented[:, d + 1] = half_sq - 0.5 * np.einsum("ij,ij->i", queries, queries)
        own_class = None if labels is None else np.repeat(labels[lo:hi], draws)
        buffer = getattr(local, "buffer", None)
        if buffer is None:
            buffer = local.buffer = np.empty((rows, n))
        total = np.empty(queries.shape[0])
        own = None if labels is None else np.empty(queries.shape[0])
        for start in range(0, queries.shape[0], rows):
            stop = min(queries.shape[0], start + rows)
            exponents = np.matmul(augmented[start:stop], operand, out=buffer[: stop - start])
            _log_sums(
                exponents,
                half_sq[start:stop],
                ones,
                starts,
                None if own_class is None else own_class[start:stop],
                total[start:stop],
                None if own is None else own[start:stop],
            )
        shape = (hi - lo, draws)
        return total.reshape(shape), None if own is None else own.reshape(shape), half_sq.reshape(shape)

    chunks = range(-(-n // CHUNK_CENTRES))
    tasks: list[Callable[[], Any]] = [lambda c=c: unit(c) for c in chunks]
    workers = thread_count() if threads is None else max(1, int(threads))
    # One BLAS thread per block: the blocks are the parallelism; threaded BLAS on thin products only contends.
    with threadpool_limits(limits=1, user_api="blas"):
        results = run_parallel(tasks, workers)
    return ConvolvedDraws(
        np.concatenate([r[0] for r in results]),
        None if labels is None else np.concatenate([r[1] for r in results]),
        np.concatenate([r[2] for r in results]),
    )


def _log_sums(
    exponents: np.ndarray,
    half_sq: np.ndarray,
    ones: np.ndarray,
    starts: np.ndarray | None,
    own_class: np.ndarray | None,
    total: np.ndarray,
    own: np.ndarray | None,
) -> None:
    """Row log-sums of ``exp(exponents)`` into ``total`` (and over the own class's columns into ``own``).

    ``ones`` is a vector of n ones, ``starts`` the first column of each class (None without labels).
    ``exponents`` is overwritten. Rows with a shift above :data:`WIDE_EXPONENT` are recomputed exactly.
    """
    wide = np.flatnonzero(half_sq > WIDE_EXPONENT)
    kept = None
    if wide.size:
        kept = exponents[wide].copy()
        exponents[wide] = 0.0  # recomputed below; keeps exp from overflowing meanwhile
    np.maximum(exponents, EXP_FLOOR, out=exponents)
    np.exp(exponents, out=exponents)
    if starts is None:
        np.log(exponents @ ones, out=total)
    else:
        class_sums = np.add.reduceat(exponents, starts, axis=1)
        np.log(class_sums.sum(axis=1), out=total)
        np.log(class_sums[np.arange(exponents.shape[0]), own_class], out=own)
    if kept is None:
        return
    if starts is None:
        total[wide] = logsumexp(kept, axis=1)
        return
    bounds = [*starts.tolist(), kept.shape[1]]
    per_class = np.stack([logsumexp(kept[:, a:b], axis=1) for a, b in itertools.pairwise(bounds)], 1)
    total[wide] = logsumexp(per_class, axis=1)
    own[wide] = per_class[np.arange(wide.size), own_class[wide]]  # type: ignore[index]


# --------------------------------------------------------------------------------------------------------------
# Means with a control variate
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonteCarloMean:
    """A Monte-Carlo mean over centres and draws with its standard error (nats) and control-variate slope."""

    value: float
    stderr: float
    slope: float


def control_variate_mean(values: np.ndarray, control: np.ndarray, control_mean: float, adjust: bool) -> MonteCarloMean:
    r"""The mean of ``values`` (n, m) over centres and draws, optionally adjusted with a control variate.

    With ``adjust``: :math:`\bar A - \gamma (\bar C - \mu_C)`, :math:`\gamma = \sum_{ij} (A_{ij} - \bar A_i)
    (C_{ij} - \bar C_i) / \sum_{ij} (C_{ij} - \bar C_i)^2` (the pooled within-centre slope; centres have
    different means, the draws of one centre are independent). The standard error is that of the mean of the
    residuals :math:`R = A - \gamma C` given the centres: :math:`\mathrm{SE}^2 = \frac{1}{n^2 m} \sum_i s_i^2` with
    :math:`s_i^2` the variance of centre i's residuals (pooled with :math:`n(m-1) - 1` degrees of freedom when
    :math:`\gamma` is estimated, :math:`n(m-1)` without adjustment). Needs m >= 2.
    """
    n, m = values.shape
    centred = values - values.mean(axis=1, keepdims=True)
    slope = 0.0
    if adjust:
        control_centred = control - control.mean(axis=1, keepdims=True)
        denominator = float(np.sum(control_centred**2))
        if denominator > 0:
            slope = float(np.sum(centred * control_centred)) / denominator
            centred = centred - slope * control_centred
    dof = n * (m - 1) - (1 if slope != 0.0 else 0)
    pooled = float(np.sum(centred**2)) / max(dof, 1)
    value = float(values.mean()) - slope * (float(control.mean()) - control_mean)
    return MonteCarloMean(value, math.sqrt(pooled / (n * m)), slope)


# --------------------------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------------------------

_NO_NOISE_LEVEL = (
    "the checks build it with its defaults, and its noise_std is None by default (the noise level belongs to the "
    "channel task, which the runner reads it from, or is passed explicitly): estimate then raises ValueError. With "
    "noise_std set it passes (tests/estimators/test_convolution.py runs the kit so)"
)


def _class_indices(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n, k) -> (class index per row, class sizes); every distinct row of y is one class."""
    if not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
        raise ValueError(
            "GaussianConvolution with target='labels' needs integer class labels in y, got non-integer values "
            "(for a continuous y use target='input')"
        )
    _, index, sizes = np.unique(y, axis=0, return_inverse=True, return_counts=True)
    return index.reshape(-1), sizes


class GaussianConvolution(BaseEstimator):
    r"""The Gaussian-convolution (sample-propagation) plug-in of Goldfeld et al. for a noisy channel, in nats.

    White-box: it reads the *clean* values S of a channel :math:`T = S + N(0, b^2 I)` and the noise level b, and
    returns the plug-in estimate of I(X;T) or I(T;Y) (see the module docstring for the formulas): the entropy of
    the Gaussian mixture centred on the n clean values with kernel width exactly b, by Monte Carlo. On a
    noisy-channel task the runner passes the clean rows and the channel's ``noise_std`` and ``target``
    (``tags.white_box``, ``tags.task_context``); it runs on no other task (``tags.channel_only``).

    ``target="input"`` -- I(X;T) with ``y`` = the clean values S (n, d) and ``x`` the inputs, used **only for their
    number of rows** (S is a function of X, so :math:`h(T|X) = \tfrac d2 \log(2\pi e b^2)`):
    :math:`\hat I = \hat h - \tfrac d2 \log(2\pi e b^2) \le \log n`. Used directly:
    ``GaussianConvolution(noise_std=0.1).estimate(x, s)``.

    ``target="labels"`` -- I(T;Y) with ``x`` = the clean values and ``y`` integer class labels (each distinct row
    one class): :math:`\hat I = \hat h(g) - \sum_y \frac{n_y}{n} \hat h(g_y)`, the class mixtures
    :math:`g_y` with weights :math:`1/n_y`, evaluated at the same draws (so the per-draw difference
    :math:`\log g_{y_i} - \log g` is averaged, and its standard error is that of the difference) :math:`\le H(Y)`.

    Expectation: for centres that are the whole finite support of S, each once (X uniform on a data set), the
    estimate is unbiased for the truth up to the Monte-Carlo error it reports. Centres *sampled* from P_S give the
    entropy of the empirical mixture, which is biased (downward in expectation, since entropy is concave) and
    converges at the rate :math:`O((\log n)^{d/4}/\sqrt n)` of Goldfeld et al. for sub-Gaussian P_S, with
    constants exponential in d.

    Monte-Carlo error: ``info["stderr"]`` (nats), from the within-centre sample variances of the per-draw values
    (after the control variate, see the module docstring). With ``draws=None`` the number of draws per centre is
    chosen to reach ``target_stderr``: a first stage of ``max(2, ceil(256 / n))`` draws estimates the variance,
    a second adds what the target needs (at most :data:`MAX_AUTO_QUERIES` queries in all; ``info["target_met"]``
    says whether the target was reached). The work is n x (queries) x d with queries about
    Var / target_stderr^2: independent of n for the plain estimator (Var ~ d/2 per draw), usually much less
    with the control variate. O(n x block) memory per thread.

    Args:
        noise_std: b > 0, the channel noise's standard deviation per coordinate, in the units of the clean values.
            Required: None (the default) is an error unless a channel task supplies it.
        target: ``"input"`` (default) or ``"labels"``.
        draws: draws per centre (an int >= 2), or None (default) to choose them for ``target_stderr``.
        target_stderr: the Monte-Carlo standard error to aim at with ``draws=None`` (nats, default 0.01).
        control_variate: subtract the control variate :math:`C = |Z|^2/(2b^2)` (default True); False gives the
            plain estimator (same expectation, larger Monte-Carlo error).
        block: queries per work buffer (memory ``block x n`` doubles per thread); None: 2 MiB worth of rows.
        seed: seed of the noise draws (the runner sets one per job); None draws fresh entropy.
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(
        accepts_discrete=True,
        stochastic=True,
        min_samples=2,
        white_box=True,
        channel_only=True,
        task_context=("noise_std", "target"),
        expected_failures=(
            ("returns_finite_float", _NO_NOISE_LEVEL),
            ("deterministic_for_seed", _NO_NOISE_LEVEL),
            ("does_not_mutate_input", _NO_NOISE_LEVEL),
            ("row_permutation_invariance", _NO_NOISE_LEVEL),
            ("column_permutation_invariance", _NO_NOISE_LEVEL),
            (
                "near_zero_on_independent_data",
                "it estimates I(X;T) of the channel T = y + N(0, b^2 I) with X uniform on the rows, not I(x;y): "
                "independent x and y give about min(log n, the channel's capacity on y's spread), not 0 (and with "
                "its default noise_std=None it raises ValueError)",
            ),
            (
                "gaussian_accuracy",
                "it estimates I(X;T) of the channel T = y + N(0, b^2 I) with X uniform on the rows, not I(x;y) of a "
                "continuous pair (and with its default noise_std=None it raises ValueError)",
            ),
            ("bad_shapes_raise", _NO_NOISE_LEVEL),
            ("pickle_round_trip", _NO_NOISE_LEVEL),
            ("discrete_input", _NO_NOISE_LEVEL),
        ),
    )

    def __init__(
        self,
        *,
        noise_std: float | None = None,
        target: Target = "input",
        draws: int | None = None,
        target_stderr: float = 0.01,
        control_variate: bool = True,
        block: int | None = None,
        seed: int | None = None,
    ):
        self.noise_std = noise_std
        self.target = target
        self.draws = draws
        self.target_stderr = target_stderr
        self.control_variate = control_variate
        self.block = block
        self.seed = seed

    def _check_params(self) -> tuple[float, int | None, float | None]:
        if self.noise_std is None:
            raise ValueError(
                "GaussianConvolution needs the channel's noise level: pass noise_std=b (the noise's standard "
                "deviation, e.g. -p noise_std=0.1 on the command line), or run it on a noisy-channel task, which "
                "supplies it"
            )
        noise_std = check_positive("GaussianConvolution: noise_std", self.noise_std)
        if self.target not in ("input", "labels"):
            raise ValueError(f"GaussianConvolution: unknown target {self.target!r}; use 'input' or 'labels'")
        draws = None if self.draws is None else check_int("GaussianConvolution: draws", self.draws, low=2)
        target_stderr = (
            check_positive("GaussianConvolution: target_stderr", self.target_stderr) if draws is None else None
        )
        if not isinstance(self.control_variate, (bool, np.bool_)):
            raise ValueError(
                f"GaussianConvolution: control_variate must be True or False, got {self.control_variate!r}"
            )
        if self.block is not None:
            check_int("GaussianConvolution: block", self.block)
        if self.seed is not None:
            check_int("GaussianConvolution: seed", self.seed, low=0)
        return noise_std, draws, target_stderr

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The estimate plus its Monte-Carlo standard error, draws per centre, n, d and the entropies in ``info``."""
        noise_std, draws, target_stderr = self._check_params()
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples, allow_integer=True)
        n = x2.shape[0]
        if self.target == "input":
            centres, classes, sizes = y2.astype(np.float64, copy=False), None, None
        else:
            centres = x2.astype(np.float64, copy=False)
            classes, sizes = _class_indices(y2)
        d = centres.shape[1]
        log_n = math.log(n)
        # log(n / n_y) per centre, for the labels target
        offset = None if classes is None else (log_n - np.log(sizes))[classes][:, None]  # type: ignore[arg-type]

        def mi_draws(sample: ConvolvedDraws) -> np.ndarray:
            if sample.log_sum_own_class is None:  # log n - log_sum + C - d/2: -log g - d/2 log(2 pi e b^2)
                return log_n - sample.log_sum + (sample.half_sq_noise - 0.5 * d)
            return offset + sample.log_sum_own_class - sample.log_sum  # log g_y - log g

        def mi_mean(sample: ConvolvedDraws) -> MonteCarloMean:
            return control_variate_mean(mi_draws(sample), sample.half_sq_noise, 0.5 * d, bool(self.control_variate))

        root = np.random.SeedSequence(self.seed)

        def run(m: int, stage: int) -> ConvolvedDraws:
            return convolved_draws(centres, noise_std, m, root, labels=classes, stage=stage, block=self.block)

        if draws is not None:
            sample = run(draws, 0)
        else:
            assert target_stderr is not None
            first = max(2, -(-PILOT_QUERIES // n))
            sample = run(first, 0)
            pilot = mi_mean(sample)
            if pilot.stderr > target_stderr:
                wanted = math.ceil(first * (pilot.stderr / target_stderr) ** 2 / _VARIANCE_MARGIN)
                total = min(wanted, max(first, MAX_AUTO_QUERIES // n))
                if total > first:
                    sample = ConvolvedDraws.concatenate([sample, run(total - first, 1)])
        mi = mi_mean(sample)
        m = sample.log_sum.shape[1]
        # h(g) per draw: -log g = log n + d/2 log(2 pi b^2) + C - log_sum (its own control-variate slope).
        entropy_draws = log_n + 0.5 * d * math.log(2 * math.pi * noise_std**2) + sample.half_sq_noise - sample.log_sum
        entropy = control_variate_mean(entropy_draws, sample.half_sq_noise, 0.5 * d, bool(self.control_variate))
        info: dict[str, Any] = {
            "target": self.target,
            "noise_std": noise_std,
            "stderr": mi.stderr,
            "draws": int(m),
            "n": int(n),
            "d": int(d),
            "entropy": entropy.value,
            "entropy_stderr": entropy.stderr,
            "control_variate_slope": mi.slope,
            "log_n": log_n,
        }
        if draws is None:
            info["target_stderr"] = target_stderr
            info["target_met"] = bool(mi.stderr <= target_stderr)  # type: ignore[operator]
        if classes is None:
            info["conditional_entropy"] = 0.5 * d * math.log(2 * math.pi * math.e * noise_std**2)
        else:
            p = sizes / n  # type: ignore[operator]
            info.update(
                conditional_entropy=entropy.value - mi.value,
                n_classes=int(p.size),
                label_entropy=float(-np.sum(p * np.log(p))),
            )
        return Estimate(float(mi.value), info)
