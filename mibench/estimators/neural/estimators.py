"""The neural (variational-bound) MI estimators: MINE, DV, NWJ, InfoNCE, SMILE and the generic NeuralMI.

All share one engine (:mod:`mibench.estimators.neural.engine`): a critic trained with Adam on the training part
of the sample, early stopping on the validation part, and the final value computed on a held-out test part.
Importing this module does not import torch; the engine (and torch) is imported when an estimate starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from mibench.estimators.neural.config import NeuralConfig, make_config
from mibench.interface import BaseEstimator, Estimate, EstimatorTags, validate_sample

__all__ = ["DV", "MINE", "NWJ", "SMILE", "InfoNCE", "NeuralMI"]

_TAGS = EstimatorTags(accepts_discrete=False, requires_torch=True, stochastic=True, min_samples=10)


class _NeuralEstimator(BaseEstimator):
    """Shared ``estimate`` / ``estimate_with_info``; subclasses fix the objective (or take it as a parameter)."""

    tags: ClassVar[EstimatorTags] = _TAGS
    _objective: ClassVar[str | None] = None

    def _config(self) -> NeuralConfig:
        return make_config(type(self).__name__, self.get_params(), objective=self._objective)

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """The held-out estimate plus diagnostics.

        ``info`` keys: ``objective``, ``critic``, ``device``, ``seed_used``, ``n_train`` / ``n_validation`` /
        ``n_test``, ``batch_size``, ``negatives_per_positive``, ``steps`` (trained), ``epochs``,
        ``stopping_step`` (the step of the kept critic, best on validation; 0 means no training step beat the
        untrained critic, whose value is about 0: no detectable dependence, or a learning rate so large that
        training broke the critic), ``stop_reason`` (``"early
        stopping"``, ``"max_steps"`` or ``"diverged"``), ``validation_best``, ``test_estimate``,
        ``test_stderr`` (delta-method SE of the test value), ``train_curve`` (``[step, mean training-batch
        value since the previous evaluation]``), ``validation_curve`` (``[step, value]``, step 0 the initial
        critic), ``torch_threads``, ``seconds`` (wall time), ``failed`` and, when failed, ``failure_reason``;
        InfoNCE adds ``infonce_ceiling`` = log(negatives + 1), log(batch size) with ``negatives="all"``.
        When ``failed`` is true the value is NaN.
        """
        cfg = self._config()
        x2, y2 = validate_sample(x, y, min_samples=self.tags.min_samples)
        from mibench.estimators.neural.engine import train_and_estimate  # imports torch

        return train_and_estimate(x2, y2, cfg, type(self).__name__)


_PARAMS_DOC = """
    ``estimate(x, y)`` returns the MI in nats computed on the held-out test part of the sample, or NaN when the
    training failed (``estimate_with_info`` then says why in ``info["failure_reason"]``).

    Args:
        critic: ``"separable"`` (``T(x, y) = f(x) . g(y)``: all pairs of a batch are negatives at the cost of two
            forward passes) or ``"joint"`` (one MLP on ``[x, y]``; B * (1 + K) forward rows per batch).
        hidden: hidden-layer sizes of the MLP(s) (``[]``: linear).
        embed_dim: output size of f and g (separable critic only).
        activation: ``"relu"``, ``"elu"``, ``"gelu"``, ``"tanh"`` or ``"softplus"``.
        learning_rate: Adam's step size (> 0).
        batch_size: rows per training batch (>= 2, at most the training rows) or ``"auto"``:
            min(128, training rows). Held-out data is evaluated in blocks of the same size.
        negatives: ``"all"`` (every other row of the batch: K = batch_size - 1) or an integer k: k rows at random
            distinct cyclic offsets within the (randomly ordered) batch, drawn per step.
        max_steps: the most optimiser steps.
        eval_every: steps between evaluations on the validation part.
        patience: evaluations without a new best validation value before stopping (``None``: never stop early).
        validation_fraction: part of the sample used for early stopping (never trained on).
        test_fraction: part of the sample the returned value is computed on (used for nothing else).
        standardize: centre and scale every column by the training part's mean and SD (as bmi does). With very
            heavy tails (Student-t, nu = 1) the critic extrapolates to outliers linearly: expect estimates near 0
            or reported failures; an MI-preserving marginal map such as asinh applied beforehand helps.
        seed: fixes the initial weights, the split, the batches and the negatives (``None``: fresh entropy,
            reported as ``info["seed_used"]``).
        device: ``"auto"`` (CUDA if available, else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
        threads: torch intra-op CPU threads during this estimate (restored afterwards); ``None`` leaves torch's
            setting alone (the runner caps it per worker). Default 1: these critics are too small to gain from
            intra-op parallelism, and on a shared machine extra threads spin-wait for busy cores, which can make
            an estimate many times slower than on one thread. A value above the runner's per-worker cap
            overrides it for the duration of the estimate.
"""


class NeuralMI(_NeuralEstimator):
    __doc__ = (
        """Any variational MI bound with a trained critic; ``objective`` picks it.

    ``objective``: ``"mine"``, ``"dv"``, ``"nwj"``, ``"infonce"`` or ``"smile"`` (see the classes of the same
    names for what each computes). ``ema_rate`` is used by MINE only, ``clip`` by SMILE only.
    """
        + _PARAMS_DOC
    )

    def __init__(
        self,
        *,
        objective: str = "infonce",
        critic: str = "separable",
        hidden: Sequence[int] = (64, 64),
        embed_dim: int = 32,
        activation: str = "relu",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        negatives: int | str = "all",
        max_steps: int = 3000,
        eval_every: int = 25,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        ema_rate: float = 0.01,
        clip: float = 5.0,
        seed: int | None = None,
        device: str = "auto",
        threads: int | None = 1,
    ):
        self.objective = objective
        self.critic = critic
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.activation = activation
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.negatives = negatives
        self.max_steps = max_steps
        self.eval_every = eval_every
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.test_fraction = test_fraction
        self.standardize = standardize
        self.ema_rate = ema_rate
        self.clip = clip
        self.seed = seed
        self.device = device
        self.threads = threads


def _store_common(self: Any, params: dict[str, Any]) -> None:
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(self, name, value)


class MINE(_NeuralEstimator):
    __doc__ = (
        r"""MINE (Belghazi et al. 2018): the Donsker-Varadhan bound with the moving-average corrected gradient.

    Value (on the held-out test part): :math:`\hat I = \frac1N\sum_i T(x_i, y_i) - \log \frac{1}{NK}
    \sum_{i,k} e^{T(x_i, y_{j(i,k)})}`, the DV formula. Training differs from :class:`DV` only in the gradient
    of the log-partition term: its denominator is an exponential moving average (rate ``ema_rate``) of the
    batch partition function instead of the current batch's, which reduces the mini-batch gradient's bias.
    The DV value is biased upward on small held-out sets (Jensen) and has high variance when the MI is large.

    ``ema_rate``: weight of the newest batch in the moving average, in (0, 1] (1: no correction, same as DV).
    """
        + _PARAMS_DOC
    )

    _objective = "mine"

    def __init__(
        self,
        *,
        critic: str = "separable",
        hidden: Sequence[int] = (64, 64),
        embed_dim: int = 32,
        activation: str = "relu",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        negatives: int | str = "all",
        max_steps: int = 3000,
        eval_every: int = 25,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        ema_rate: float = 0.01,
        seed: int | None = None,
        device: str = "auto",
        threads: int | None = 1,
    ):
        _store_common(self, locals())


class DV(_NeuralEstimator):
    __doc__ = (
        r"""Donsker-Varadhan bound :math:`E_P[T] - \log E_Q[e^T]` trained by its plain mini-batch gradient.

    The same value formula as :class:`MINE` without its gradient correction (the baseline that shows what the
    correction does).
    """
        + _PARAMS_DOC
    )

    _objective = "dv"

    def __init__(
        self,
        *,
        critic: str = "separable",
        hidden: Sequence[int] = (64, 64),
        embed_dim: int = 32,
        activation: str = "relu",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        negatives: int | str = "all",
        max_steps: int = 3000,
        eval_every: int = 25,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        seed: int | None = None,
        device: str = "auto",
        threads: int | None = 1,
    ):
        _store_common(self, locals())


class NWJ(_NeuralEstimator):
    __doc__ = (
        r"""Nguyen-Wainwright-Jordan bound :math:`E_P[T] - e^{-1} E_Q[e^T]` (a.k.a. f-MINE / TUBA with baseline e).

    Unbiased mini-batch gradients, but the variance of the :math:`e^T` term grows exponentially with the MI.
    """
        + _PARAMS_DOC
    )

    _objective = "nwj"

    def __init__(
        self,
        *,
        critic: str = "separable",
        hidden: Sequence[int] = (64, 64),
        embed_dim: int = 32,
        activation: str = "relu",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        negatives: int | str = "all",
        max_steps: int = 3000,
        eval_every: int = 25,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        seed: int | None = None,
        device: str = "auto",
        threads: int | None = 1,
    ):
        _store_common(self, locals())


class InfoNCE(_NeuralEstimator):
    __doc__ = (
        r"""InfoNCE / CPC (van den Oord et al. 2018): each positive pair is classified against K negatives.

    Value: :math:`\frac1N \sum_i \big[T_{ii} - \log \frac{1}{K+1}(e^{T_{ii}} + \sum_k e^{T_{ik}})\big]`, a lower
    bound with low variance that **can never exceed log(K + 1)** -- log(batch size) with ``negatives="all"``
    (returned as ``info["infonce_ceiling"]``): for MI near or above that it saturates, whatever the truth. Use a
    larger ``batch_size`` for large MI (the ceiling grows only logarithmically).
    """
        + _PARAMS_DOC
    )

    _objective = "infonce"

    def __init__(
        self,
        *,
        critic: str = "separable",
        hidden: Sequence[int] = (64, 64),
        embed_dim: int = 32,
        activation: str = "relu",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        negatives: int | str = "all",
        max_steps: int = 3000,
        eval_every: int = 25,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        seed: int | None = None,
        device: str = "auto",
        threads: int | None = 1,
    ):
        _store_common(self, locals())


class SMILE(_NeuralEstimator):
    __doc__ = (
        r"""SMILE (Song & Ermon 2020): the DV value with :math:`e^T` clipped to :math:`[e^{-\tau}, e^{\tau}]` in
    the partition term, trained with the Jensen-Shannon (f-GAN) gradient.

    Clipping bounds the variance of the partition term (which makes DV/MINE/NWJ explode at large MI) at the cost
    of a bias that vanishes as ``clip`` grows; ``clip = 5`` is the paper's usual choice.

    ``clip``: :math:`\tau` > 0, in units of the critic's output (nats).
    """
        + _PARAMS_DOC
    )

    _objective = "smile"

    def __init__(
        self,
        *,
        critic: str = "separable",
        hidden: Sequence[int] = (64, 64),
        embed_dim: int = 32,
        activation: str = "relu",
        learning_rate: float = 1e-3,
        batch_size: int | str = "auto",
        negatives: int | str = "all",
        max_steps: int = 3000,
        eval_every: int = 25,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        clip: float = 5.0,
        seed: int | None = None,
        device: str = "auto",
        threads: int | None = 1,
    ):
        _store_common(self, locals())
