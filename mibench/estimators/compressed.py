r"""Compression then estimation: each variable is compressed to a few dimensions and any registered estimator runs
on the codes (Butakov et al., "Information bottleneck analysis of deep neural networks via lossy compression",
ICLR 2024).

Why it works. For maps :math:`f` and :math:`g` applied to X and Y alone,

.. math::

    I(f(X); g(Y)) \le I(X; Y)

(data processing), with equality when :math:`f` and :math:`g` are injective on the supports of X and Y (a
measurable inverse exists there, so the codes carry everything the variables carry). High-dimensional data often
lie near a low-dimensional set: a 16 x 16 image of a bump at a random position is a point of
:math:`\mathbb{R}^{256}` on a 2-dimensional manifold. k-NN estimators such as KSG degrade with dimension,
and faithful low-dimensional codes spare the inner estimator the ambient dimensions. Whether that beats the inner
estimator on the raw data depends on the data: on smooth, noise-free bump images, distances between images already
follow the 2-dimensional manifold locally, and KSG on the raw pixels does as well as on the codes
(``reports/compressed.md``). A lossy compressor (a code too small, a map that folds the support, or an autoencoder
that did not learn to reconstruct: see ``relative_mse`` in the info) gives an underestimate, on top of the inner
estimator's own error.

Compressors (``compressor``):

* ``"pca"`` (default): principal component analysis (scikit-learn), the first ``latent_dim`` component scores. A
  linear map is injective on the support only when the variable lies on (or very near) a linear subspace of that
  dimension; on a curved manifold it folds the support and loses information (the bump images: see
  ``tests/estimators/test_compressed.py`` and ``reports/compressed.md``). Fast, torch-free and reproducible
  (scikit-learn's randomised solver, when it chooses it, gets its ``random_state`` from ``seed``).
* ``"autoencoder"``: a small PyTorch autoencoder trained to reconstruct the variable
  (:mod:`mibench.estimators._autoencoder`): convolutional for image-shaped variables, an MLP for vectors, loss
  ``"mse"`` or ``"l1"``, Adam, early stopping on the reconstruction loss of a held-out part (``validation_fraction``),
  the code of the kept network as the variable's compressed value. It can follow a curved manifold.

Which variables are images (``image_shape``): ``"auto"`` (default) treats a variable whose dimension d is a perfect
square with :math:`d \ge 64` as one-channel :math:`\sqrt d \times \sqrt d` images (8 x 8 and larger: a smaller
square is more likely a short vector than a picture, and a 3 x 3 convolution needs room to act), every other
variable as a vector; ``None`` treats both as vectors; ``(H, W)`` or ``(C, H, W)`` gives the shape of the rows
(flattened in C order, as ``array.reshape(n, -1)`` does): every variable of that dimension is an image, the other one
a vector (a shape that matches neither variable is an error). Images are centred and scaled by one mean and one SD
over all pixels (pixels share a unit; scaling each pixel by its own SD would blow up the nearly constant border
pixels); vectors are standardised column by column (units do not matter; PCA then works on the correlation
matrix). Both are invertible affine maps, so they change no MI.

Latent dimension (``latent_dim``): an integer, or ``None`` (default) for a rule per variable:

* PCA: the smallest number of components that explains at least :data:`VARIANCE_KEPT` (99 %) of the variable's
  (standardised) variance -- on a linear subspace plus small noise, that subspace's dimension;
* autoencoder: the variable's intrinsic dimension, estimated by TwoNN (Facco, d'Errico, Rodriguez & Laio 2017,
  Sci. Rep. 7, 12140) in its maximum-likelihood form :math:`\hat m = N / \sum_i \log(r_{2,i} / r_{1,i})`
  (:math:`r_{1,i}, r_{2,i}` the distances from point i to its nearest and second-nearest other point; on at most
  :data:`TWONN_MAX_ROWS` rows, drawn with the seed). Butakov et al. gave the autoencoder the generator's latent
  dimension (2 or 4), which a user does not know; the intrinsic dimension is what the data say about it (1.97-2.01
  on 16 x 16 bump images of 2 latents at n = 5000 over three seeds; on Gaussian vectors of 1-10 dimensions within
  0.17 of the truth). The code size is the smallest integer no more than two standard errors below the estimate,
  :math:`\lceil \hat m (1 - 2/\sqrt N) \rceil` (:func:`twonn_latent_dim`; the MLE's standard error is about
  :math:`\hat m / \sqrt N`; at N = 5000 estimates from 1.03 to 2.06 give 2). Between integers (curvature, noise)
  or on a small sample it rounds up rather than to the nearest integer, because a code smaller than the manifold's
  dimension cannot be injective on it and loses information, while one dimension too many only adds a little bias
  to the inner k-NN estimator. A support with holes (a closed curve needs 2 dimensions, not 1) needs a larger code
  than its dimension: set ``latent_dim``. Noise at the smallest scales makes TwoNN see the noise's dimension: the
  cap applies.

Either rule is capped at :data:`MAX_AUTO_LATENT_DIM` (8) dimensions per variable: above that, k-NN estimators are
badly biased anyway (KSG underestimates 1 nat by 0.2 nats in 5 + 5 dimensions and 2 nats by 1 nat in 10 + 10 at
n = 5000; see :class:`~mibench.estimators.kl.KLMutualInformation`), so the benefit of compressing is gone. A variable
whose dimension is at most its latent dimension is **passed through uncompressed** (not even standardised):
compressing it could only lose information. When both variables pass through, the estimate is the inner estimator's
on the raw data, exactly.

Codes are scaled to unit SD column by column before the inner estimator (an invertible map per column: no MI
change), so that the max-norm of KSG weighs the code columns alike whatever scale the compressor gave them.

Which rows the compressors are fitted on: all of them (the autoencoder holds out ``validation_fraction`` for early
stopping, then encodes every row), and the inner estimator runs on all n codes. Compression is unsupervised and per
variable: the compressor of X never sees Y. If X and Y are independent, the whole x-sample is independent of the
whole y-sample, so the x-codes are independent of the y-codes whatever was fitted, and the inner estimator sees
independent data, as on the raw variables; under dependence each fitted map is a function of one variable's sample
and cannot learn which x goes with which y. Fitting on a separate part would leave fewer rows for the inner
estimator, whose error falls with n.

Inner estimator (``inner``, ``inner_params``): any registered name (:func:`mibench.estimators.get_estimator`);
``"ksg"`` (default) or ``"wkl"`` (the weighted Kozachenko-Leonenko estimator Butakov et al. used, Euclidean and
1-NN in low dimension). A stochastic inner estimator without an explicit ``seed`` in ``inner_params`` gets one
derived from this estimator's ``seed``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

# The documented inner estimators are imported here so that their source is part of this estimator's version
# (mibench.estimators.versions hashes the modules a built-in imports): a change to KSG or to the weighted KL
# estimator recomputes stored `compressed` results too.
from mibench.estimators import kl as _kl
from mibench.estimators import ksg as _ksg  # noqa: F401
from mibench.estimators._scale import rescale_columns, rescale_jointly
from mibench.estimators._threads import thread_count
from mibench.estimators.registry import get_estimator
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample
from mibench.validation import check_int, check_real

__all__ = [
    "COMPRESSORS",
    "LOSSES",
    "MAX_AUTO_LATENT_DIM",
    "MIN_AUTO_IMAGE_DIM",
    "TWONN_BLOCK_ROWS",
    "TWONN_MAX_ROWS",
    "VARIANCE_KEPT",
    "Compressed",
    "auto_image_shape",
    "pca_latent_dim",
    "twonn_dimension",
    "twonn_latent_dim",
]

COMPRESSORS = ("pca", "autoencoder")
LOSSES = ("mse", "l1")

#: The automatic latent dimension is at most this (per variable); see the module docstring.
MAX_AUTO_LATENT_DIM = 8
#: PCA's automatic latent dimension keeps at least this share of the variance.
VARIANCE_KEPT = 0.99
#: TwoNN runs on at most this many rows (a seeded subsample of larger samples): its error is already about
#: m / sqrt(5000) = 0.03 m there, and the neighbour search in many dimensions costs O(rows^2).
TWONN_MAX_ROWS = 5000
#: Query rows per block of TwoNN's brute-force neighbour search (more than 20 dimensions): about 30 MiB of working
#: memory at 5000 rows instead of the search's default 64 MiB blocks (200 MiB in all), at the same speed.
TWONN_BLOCK_ROWS = 256
#: ``image_shape="auto"``: a variable of a perfect-square dimension at least this large is a square image.
MIN_AUTO_IMAGE_DIM = 64


# --------------------------------------------------------------------------------------------------------------
# Latent dimension rules and image shapes
# --------------------------------------------------------------------------------------------------------------


def pca_latent_dim(data: np.ndarray, kept: float = VARIANCE_KEPT) -> tuple[int, float]:
    """The smallest number of principal components whose variance is at least ``kept`` of the total, with the share
    they explain: ``(k, share)``. ``(1, 1.0)`` for a constant variable.

    The spectrum comes from the smaller of the covariance matrix (d x d) and the Gram matrix (n x n) of the centred
    data (the same non-zero eigenvalues)."""
    centred = data - data.mean(axis=0)
    small = centred.T @ centred if centred.shape[1] <= centred.shape[0] else centred @ centred.T
    spectrum = np.clip(np.linalg.eigvalsh(small)[::-1], 0.0, None)
    total = float(spectrum.sum())
    if total <= 0:
        return 1, 1.0
    share = np.cumsum(spectrum) / total
    k = int(np.searchsorted(share, kept - 1e-12) + 1)
    k = min(k, spectrum.size)
    return k, float(share[k - 1])


def twonn_dimension(data: np.ndarray, rng: np.random.Generator, max_rows: int = TWONN_MAX_ROWS) -> float:
    r"""TwoNN intrinsic dimension (Facco et al. 2017), maximum-likelihood form:
    :math:`\hat m = N / \sum_i \log(r_{2,i} / r_{1,i})` over the rows whose nearest other row is at a positive
    distance (exact duplicates carry no scale), on at most ``max_rows`` rows drawn with ``rng``.

    Under a locally uniform density on an m-dimensional manifold the ratio :math:`\mu = r_2 / r_1` is Pareto with
    index m, :math:`P(\mu > t) = t^{-m}`, whatever the density's value; the MLE of m is the formula above. Returns
    ``inf`` when no usable row is left (all rows duplicated, or every ratio exactly 1)."""
    n = data.shape[0]
    if n > max_rows:
        data = data[np.sort(rng.choice(n, size=max_rows, replace=False))]
    distances, _ = _kl.knn_distances(data, [1, 2], "euclidean", block_rows=TWONN_BLOCK_ROWS)
    usable = distances[:, 0] > 0
    log_ratio = np.log(distances[usable, 1] / distances[usable, 0])
    total = float(log_ratio.sum())
    return float(usable.sum()) / total if total > 0 else math.inf


def twonn_latent_dim(estimate: float, rows: int) -> int:
    r"""The autoencoder's automatic code size from a TwoNN estimate on ``rows`` rows:
    :math:`\max(1, \lceil \hat m (1 - 2/\sqrt{N}) \rceil)`, the smallest integer no more than two standard errors
    (:math:`\hat m / \sqrt N` each) below the estimate; a non-finite estimate gives :data:`MAX_AUTO_LATENT_DIM`."""
    if not math.isfinite(estimate):
        return MAX_AUTO_LATENT_DIM
    return max(1, math.ceil(estimate * (1.0 - 2.0 / math.sqrt(rows)) - 1e-9))


def _is_square_image_dim(dim: int) -> bool:
    side = math.isqrt(dim)
    return dim >= MIN_AUTO_IMAGE_DIM and side * side == dim


def auto_image_shape(dim: int) -> tuple[int, int, int] | None:
    """``image_shape="auto"``: ``(1, s, s)`` when ``dim = s * s >= 64`` (a perfect square, 8 x 8 or larger), else
    ``None`` (a vector)."""
    if _is_square_image_dim(dim):
        side = math.isqrt(dim)
        return (1, side, side)
    return None


def _check_image_shape(value: Any) -> str | tuple[int, int, int] | None:
    """``"auto"``, ``None`` or a ``(C, H, W)`` tuple (``(H, W)`` becomes ``(1, H, W)``)."""
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) not in (2, 3):
        raise ValueError(
            f"Compressed: image_shape must be 'auto', None, (H, W) or (C, H, W) with positive integers, got {value!r}"
        )
    sizes = tuple(check_int("Compressed: an image_shape entry", size) for size in value)
    return (1, *sizes) if len(sizes) == 2 else sizes  # type: ignore[return-value]


def _check_sizes(name: str, value: Any, allow_empty: bool) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or (not value and not allow_empty):
        empty = " (may be empty)" if allow_empty else " (at least one)"
        raise ValueError(f"Compressed: {name} must be a sequence of positive integers{empty}, got {value!r}")
    return tuple(check_int(f"Compressed: a {name} entry", size) for size in value)


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"Compressed: unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


# --------------------------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------------------------


class Compressed(BaseEstimator):
    r"""MI between per-variable compressions: :math:`\hat I(X; Y) = \hat I_{\text{inner}}(f(X); g(Y))`, in nats.

    ``f`` and ``g`` are fitted to X and Y separately (PCA or an autoencoder; see the module docstring for the
    compressors, the latent-dimension rules, the image rule, the preprocessing and why all rows are used), then the
    inner estimator (KSG by default) runs on the n pairs of codes. Exact when the compressors are injective on the
    supports, up to the inner estimator's error on the codes; lossy compression underestimates.

    Args:
        compressor: ``"pca"`` (default: linear, fast, no torch) or ``"autoencoder"`` (PyTorch; follows curved
            manifolds).
        latent_dim: code size per variable, or ``None``: PCA's 99 %-variance rule, or the autoencoder's TwoNN
            intrinsic dimension, capped at 8. A variable of dimension <= its latent dimension passes through
            uncompressed.
        inner: the registered estimator run on the codes (``"ksg"``; ``"wkl"`` as Butakov et al.).
        inner_params: its hyperparameters (a dict; ``None``: its defaults).
        image_shape: ``"auto"``, ``None`` (all vectors), ``(H, W)`` or ``(C, H, W)``; see the module docstring.
        loss: the autoencoder's reconstruction loss, ``"mse"`` or ``"l1"`` (mean absolute error).
        hidden: hidden widths of the MLP autoencoder's encoder (the decoder mirrors them).
        channels: output channels of the convolutional encoder's stride-2 layers (the decoder mirrors them).
        max_steps: the most Adam steps of an autoencoder.
        eval_every: steps between evaluations of the held-out reconstruction loss.
        patience: evaluations without a new lowest held-out loss before training stops.
        batch_size: training rows per Adam step (at most the training rows).
        learning_rate: Adam's step size.
        validation_fraction: rows held out from training for early stopping, in (0, 1).
        seed: fixes everything random (autoencoder split, batches and initial weights, PCA's randomised solver,
            TwoNN's subsample, a stochastic inner estimator's seed); ``None``: fresh entropy, reported as
            ``info["seed_used"]``. Same data and seed, same value (for a fixed number of torch threads).
        threads: torch's intra-op threads while an autoencoder trains (restored afterwards). Default 1: these
            networks are small, and on a shared machine a second thread that waits for a busy core made a training
            step several times slower in our measurements (as for the neural estimators). ``None``: the runner's
            per-worker cap when set (``MIBENCH_WORKER_THREADS``), else every usable core.

    Tags: ``requires_torch`` is False because the default compressor needs no torch; the autoencoder imports it
    when used (and in :meth:`prepare`). ``stochastic``: the autoencoder depends on ``seed``. ``max_dim`` is not
    set: high-dimensional variables are what the estimator is for.
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags(
        accepts_discrete=False, requires_torch=False, stochastic=True, max_dim=None, min_samples=10
    )

    def __init__(
        self,
        *,
        compressor: str = "pca",
        latent_dim: int | None = None,
        inner: str = "ksg",
        inner_params: Mapping[str, Any] | None = None,
        image_shape: str | Sequence[int] | None = "auto",
        loss: str = "mse",
        hidden: Sequence[int] = (128, 64),
        channels: Sequence[int] = (8, 16),
        max_steps: int = 1000,
        eval_every: int = 25,
        patience: int = 8,
        batch_size: int = 128,
        learning_rate: float = 5e-3,
        validation_fraction: float = 0.2,
        seed: int | None = None,
        threads: int | None = 1,
    ):
        self.compressor = compressor
        self.latent_dim = latent_dim
        self.inner = inner
        self.inner_params = inner_params
        self.image_shape = image_shape
        self.loss = loss
        self.hidden = hidden
        self.channels = channels
        self.max_steps = max_steps
        self.eval_every = eval_every
        self.patience = patience
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.threads = threads

    # ----------------------------------------------------------------------------------------------------------

    def _checked(self) -> dict[str, Any]:
        """The hyperparameters, validated (ValueError naming the offending one)."""
        latent_dim = self.latent_dim
        if latent_dim is not None:
            latent_dim = check_int("Compressed: latent_dim", latent_dim)
        if not isinstance(self.inner, str) or not self.inner:
            raise ValueError(f"Compressed: inner must be a registered estimator name, got {self.inner!r}")
        inner_params = {} if self.inner_params is None else self.inner_params
        if not isinstance(inner_params, Mapping) or not all(isinstance(k, str) for k in inner_params):
            raise ValueError(
                f"Compressed: inner_params must be a dict of the inner estimator's hyperparameters, got "
                f"{self.inner_params!r}"
            )
        seed = self.seed
        if seed is not None:
            seed = check_int("Compressed: seed", seed, low=0)
        threads = self.threads
        if threads is not None:
            threads = check_int("Compressed: threads", threads)
        return {
            "compressor": _choice("compressor", self.compressor, COMPRESSORS),
            "latent_dim": latent_dim,
            "inner": self.inner,
            "inner_params": dict(inner_params),
            "image_shape": _check_image_shape(self.image_shape),
            "loss": _choice("loss", self.loss, LOSSES),
            "hidden": _check_sizes("hidden", self.hidden, allow_empty=True),
            "channels": _check_sizes("channels", self.channels, allow_empty=False),
            "max_steps": check_int("Compressed: max_steps", self.max_steps),
            "eval_every": check_int("Compressed: eval_every", self.eval_every),
            "patience": check_int("Compressed: patience", self.patience),
            "batch_size": check_int("Compressed: batch_size", self.batch_size),
            "learning_rate": check_real("Compressed: learning_rate", self.learning_rate, 0.0, low_open=True),
            "validation_fraction": check_real(
                "Compressed: validation_fraction", self.validation_fraction, 0.0, 1.0, low_open=True, high_open=True
            ),
            "seed": seed,
            "threads": threads,
        }

    def _inner_estimator(self, cfg: dict[str, Any], seed_sequence: np.random.SeedSequence) -> Any:
        """The inner estimator, a derived seed given to a stochastic one that has none."""
        params = dict(cfg["inner_params"])
        estimator = get_estimator(cfg["inner"], **params)
        tags = getattr(estimator, "tags", None)
        if getattr(tags, "stochastic", False) and params.get("seed") is None and "seed" in estimator.get_params():
            params["seed"] = int(seed_sequence.generate_state(1, dtype=np.uint32)[0])
            estimator = get_estimator(cfg["inner"], **params)
        return estimator

    def prepare(self) -> None:
        """Import torch and the autoencoder module when the autoencoder is chosen, and prepare the inner estimator
        (KSG loads its compiled neighbour counts), so that a job's time and memory are the estimate's own."""
        cfg = self._checked()
        if cfg["compressor"] == "autoencoder":
            import mibench.estimators._autoencoder  # noqa: F401  (imports torch)
        inner_prepare = getattr(get_estimator(cfg["inner"], **cfg["inner_params"]), "prepare", None)
        if callable(inner_prepare):
            inner_prepare()

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The inner estimate on the codes, plus diagnostics.

        ``info`` keys: ``compressor``; ``latent_dims`` (``{"x": .., "y": ..}``, the code sizes; a passed-through
        variable's own dimension); ``passed_through`` (per variable); ``relative_mse`` (per variable:
        :math:`\\sum (z - \\hat z)^2 / \\sum (z - \\bar z)^2` of the reconstruction over all rows in the
        standardised space, 1 - the explained variance share for PCA; ``None`` when passed through);
        ``variables`` (per variable: ``dim``, ``image_shape``, ``latent_dim``, ``passed_through``,
        ``latent_rule`` -- ``"given"``, ``"explained variance"`` or ``"twonn"`` --, ``intrinsic_dim`` (the TwoNN
        estimate), ``explained_variance`` (PCA: the variance share of the components kept; of all components for a
        passed-through variable), ``relative_mse``; for an autoencoder also ``architecture``, ``steps``,
        ``epochs``, ``best_step``, ``stop_reason``, ``validation_relative_mse``, ``n_train``, ``n_validation``,
        ``seconds``); ``training_curves`` (per autoencoder: ``{"train": [[step, mean training loss since the
        previous evaluation], ...], "validation": [[step, held-out loss], ...]}``, step 0 the untrained network);
        ``inner``, ``inner_params``, ``inner_estimate``, ``inner_info``; ``seed_used``; ``torch_threads`` (when an
        autoencoder trained); ``seconds`` (``compression``, ``inner``).
        """
        cfg = self._checked()
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples)
        shapes = self._image_shapes(cfg["image_shape"], x2.shape[1], y2.shape[1])
        seed = cfg["seed"] if cfg["seed"] is not None else int(np.random.SeedSequence().entropy % (2**63))
        x_seq, y_seq, inner_seq = np.random.SeedSequence(seed).spawn(3)
        inner = self._inner_estimator(cfg, inner_seq)  # before any training: a bad inner name fails fast

        start = time.perf_counter()
        threads = cfg["threads"] if cfg["threads"] is not None else thread_count()
        codes: dict[str, np.ndarray] = {}
        variables: dict[str, dict[str, Any]] = {}
        curves: dict[str, dict[str, list[float]]] = {}
        for name, data, shape, seq in (("x", x2, shapes[0], x_seq), ("y", y2, shapes[1], y_seq)):
            codes[name], variables[name], curve = self._compress(data, shape, cfg, seq, threads)
            if curve is not None:
                curves[name] = curve
        compression_seconds = time.perf_counter() - start

        start = time.perf_counter()
        if hasattr(inner, "estimate_with_info"):
            inner_result = inner.estimate_with_info(codes["x"], codes["y"])
            value, inner_info = float(inner_result.value), dict(inner_result.info)
        else:
            value, inner_info = float(inner.estimate(codes["x"], codes["y"])), {}
        info: dict[str, Any] = {
            "compressor": cfg["compressor"],
            "latent_dims": {name: variables[name]["latent_dim"] for name in ("x", "y")},
            "passed_through": {name: variables[name]["passed_through"] for name in ("x", "y")},
            "relative_mse": {name: variables[name]["relative_mse"] for name in ("x", "y")},
            "variables": variables,
            "training_curves": curves,
            "inner": cfg["inner"],
            "inner_params": inner.get_params() if hasattr(inner, "get_params") else cfg["inner_params"],
            "inner_estimate": value,
            "inner_info": inner_info,
            "seed_used": seed,
        }
        if curves:
            info["torch_threads"] = threads
        info["seconds"] = {"compression": compression_seconds, "inner": time.perf_counter() - start}
        return Estimate(value, info)

    @staticmethod
    def _image_shapes(
        image_shape: str | tuple[int, int, int] | None, dim_x: int, dim_y: int
    ) -> tuple[tuple[int, int, int] | None, tuple[int, int, int] | None]:
        if image_shape is None:
            return None, None
        if image_shape == "auto":
            return auto_image_shape(dim_x), auto_image_shape(dim_y)
        size = math.prod(image_shape)
        if size not in (dim_x, dim_y):
            raise ValueError(
                f"Compressed: image_shape={tuple(image_shape)} has {size} values per row, but x has {dim_x} columns "
                f"and y has {dim_y}; give the shape of one variable's rows, 'auto' or None"
            )
        return (image_shape if dim_x == size else None), (image_shape if dim_y == size else None)

    @staticmethod
    def _standardised(data: np.ndarray, image: bool) -> np.ndarray:
        """Images: one mean and SD over all pixels; vectors: per column (constant columns left at 0). Data of
        extreme magnitude are rescaled by a power of two first, so the SD neither overflows nor underflows."""
        if image:
            (data,), _ = rescale_jointly(data)
            sd = float(data.std())
            return (data - data.mean()) / (sd if sd > 0 else 1.0)
        data, _ = rescale_columns(data)
        sd = data.std(axis=0)
        sd[sd == 0] = 1.0
        return (data - data.mean(axis=0)) / sd

    def _compress(
        self,
        data: np.ndarray,
        image_shape: tuple[int, int, int] | None,
        cfg: dict[str, Any],
        seq: np.random.SeedSequence,
        threads: int,
    ) -> tuple[np.ndarray, dict[str, Any], dict[str, list[float]] | None]:
        """One variable's codes (unit SD per column), its info and its training curves (autoencoder only)."""
        dim = data.shape[1]
        rule_seq, fit_seq = seq.spawn(2)
        variable: dict[str, Any] = {
            "dim": dim,
            "image_shape": None if image_shape is None else list(image_shape),
        }
        z = self._standardised(data, image_shape is not None)
        if cfg["latent_dim"] is not None:
            latent_dim = cfg["latent_dim"]
            variable["latent_rule"] = "given"
        elif cfg["compressor"] == "pca":
            latent_dim, share = pca_latent_dim(z)
            latent_dim = min(latent_dim, MAX_AUTO_LATENT_DIM)
            variable.update(latent_rule="explained variance", explained_variance=share)  # the fit's share replaces it
        else:
            estimate = twonn_dimension(z, np.random.default_rng(rule_seq))
            rows = min(data.shape[0], TWONN_MAX_ROWS)
            latent_dim = min(twonn_latent_dim(estimate, rows), MAX_AUTO_LATENT_DIM)
            variable.update(latent_rule="twonn", intrinsic_dim=estimate if math.isfinite(estimate) else None)
        if dim <= latent_dim:
            variable.update(latent_dim=dim, passed_through=True, relative_mse=None)
            return data, variable, None
        variable.update(latent_dim=latent_dim, passed_through=False)
        fit_seed = int(fit_seq.generate_state(1, dtype=np.uint32)[0])
        curve = None
        if cfg["compressor"] == "pca":
            from sklearn.decomposition import PCA

            pca = PCA(n_components=latent_dim, random_state=fit_seed)
            codes = pca.fit_transform(z)
            kept = float(np.sum(pca.explained_variance_ratio_))
            variable.update(architecture="pca", explained_variance=kept, relative_mse=max(0.0, 1.0 - kept))
        else:
            from mibench.estimators._autoencoder import torch_threads, train_autoencoder

            with torch_threads(threads):
                fit = train_autoencoder(
                    z,
                    latent_dim=latent_dim,
                    image_shape=image_shape,
                    loss=cfg["loss"],
                    hidden=cfg["hidden"],
                    channels=cfg["channels"],
                    max_steps=cfg["max_steps"],
                    eval_every=cfg["eval_every"],
                    patience=cfg["patience"],
                    batch_size=cfg["batch_size"],
                    learning_rate=cfg["learning_rate"],
                    validation_fraction=cfg["validation_fraction"],
                    seed=fit_seed,
                    owner="Compressed",
                )
            codes = fit.codes
            fit_info = fit.info()
            fit_info["architecture"] = "convolutional" if image_shape is not None else "mlp"
            curve = {"train": fit_info.pop("train_curve"), "validation": fit_info.pop("validation_curve")}
            variable.update(fit_info)
        sd = codes.std(axis=0)
        sd[sd == 0] = 1.0
        return codes / sd, variable, curve
