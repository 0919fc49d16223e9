"""The contracts every part of mibench relies on: estimators, their tags, estimates, tasks, input validation.

This module is deliberately import-free with respect to the rest of mibench (it needs only numpy and the
standard library), so a third-party estimator can depend on it without pulling in the runner, torch or plotting.

What it fixes:

* :class:`Estimator` -- the protocol an MI estimator satisfies: keyword-only hyperparameters stored verbatim by
  ``__init__`` (as scikit-learn does), ``estimate(x, y) -> float`` in nats, and an optional
  ``estimate_with_info(x, y) -> Estimate``. :class:`BaseEstimator` implements the bookkeeping
  (``get_params``, ``clone``, ``repr``, ``estimate_with_info``) so subclasses write only ``estimate``.
* :class:`EstimatorTags` -- what the runner and the conformance checks need to know about an estimator.
* :class:`Estimate` -- a value in nats plus a JSON-able ``info`` dict.
* :class:`Task` -- a named, frozen ground-truth distribution with ``sample(n, seed)``; a noisy-channel task also
  carries its :class:`Channel` and can draw the same rows before the noise (``sample_clean``).
* :func:`validate_sample` -- the one input-validation helper every estimator calls.
* :func:`estimate_value` -- the one check of what ``estimate`` returned (the runner, the CLI and the conformance
  kit apply it alike).
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "CHANNEL_CONTEXT",
    "BaseEstimator",
    "Channel",
    "ChannelSampler",
    "Estimate",
    "Estimator",
    "EstimatorTags",
    "Sampler",
    "Task",
    "canonical_json",
    "clone",
    "estimate_value",
    "get_params",
    "params_hash",
    "task_context_params",
    "validate_sample",
]


# --------------------------------------------------------------------------------------------------------------
# Estimates and tags
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """An MI estimate in nats with diagnostics.

    ``info`` must be JSON-serialisable (numbers, strings, lists, dicts): it is stored beside the value in the
    results store (e.g. a training curve, the chosen bandwidth, the number of iterations).
    """

    value: float
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EstimatorTags:
    """Class-level facts about an estimator, read by the runner and the conformance checks.

    Attributes:
        accepts_discrete: the estimator gives a meaningful answer on integer-valued / tied data.
        requires_torch: importing or running it needs PyTorch (the runner imports torch only for these).
        stochastic: the value depends on a ``seed`` hyperparameter (the runner sets it per job).
        max_dim: the largest ``dim_x + dim_y`` the method is meant for (``None``: no stated limit); the runner
            still runs larger tasks when asked, and reports mark them as outside the estimator's range.
        min_samples: the smallest ``n`` the method accepts at its default hyperparameters.
        expected_failures: ``(check name, reason)`` pairs: conformance checks of :mod:`mibench.testing` this
            estimator is known to fail, with the reason (e.g. binning is biased upward on independent 2+2-dim data).
            The kit reports them as expected failures, never silently skips them.
        task_context: names of hyperparameters a task may set through its :attr:`Task.context` (for example the
            binning edges of a network layer, or which quantity a KDE bound targets). The runner passes the task's
            values for these names unless the suite gives the hyperparameter explicitly (see
            :func:`task_context_params`) and records them in the job's info; they are not part of the parameter
            hash, because they are a property of the task, which the job key already names.
        white_box: on a noisy-channel task (one with a :class:`Channel`), the estimator reads the clean values:
            the runner passes it the task's rows before the noise (:meth:`Task.sample_clean`) and the channel's
            noise level and target through :data:`CHANNEL_CONTEXT` (names it lists in ``task_context``). Reports
            mark such estimators: they know more than a black-box estimator that sees only the noisy sample.
        channel_only: the estimator answers only on noisy-channel tasks (it needs the channel's clean values and
            noise level); the runner gives it no job on other tasks.
    """

    accepts_discrete: bool = False
    requires_torch: bool = False
    stochastic: bool = False
    max_dim: int | None = None
    min_samples: int = 2
    expected_failures: tuple[tuple[str, str], ...] = ()
    task_context: tuple[str, ...] = ()
    white_box: bool = False
    channel_only: bool = False


@runtime_checkable
class Estimator(Protocol):
    """The protocol of an MI estimator.

    ``__init__`` takes only keyword hyperparameters and stores each under an attribute of the same name,
    unchanged (validation happens in ``estimate``), so that parameters can be read back, hashed, printed and
    cloned. ``estimate`` returns the MI of the joint sample ``(x[i], y[i])`` in nats.
    """

    tags: ClassVar[EstimatorTags]

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float: ...


def estimate_value(value: Any, where: str) -> float:
    """``value``, what ``where`` (e.g. ``"KSG.estimate"``) returned, as a Python float, if it has the type an
    estimate must have: a Python ``float`` or a numpy floating scalar (``np.float64``, ``np.float32``, ...).

    Everything else is refused rather than converted, so a wrong return type is found where it happens instead of
    stored as a number: a string (``"0.25"``), ``None``, ``bool``, ``int``, complex numbers and numpy arrays of
    any shape (0-d included; ``float(value)`` or ``value.item()`` turns a one-element result into a float).
    Finiteness is not checked here: a NaN is a float, and callers report it in their own terms.

    Raises:
        TypeError: naming ``where``, the value and its type.
    """
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return float(value)
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    raise TypeError(
        f"{where} returned {shown} of type {type(value).__name__}; it must return a float (Python float or numpy "
        "floating scalar) in nats"
    )


class BaseEstimator:
    """Convenience base class implementing the :class:`Estimator` bookkeeping.

    Subclasses define ``__init__`` with keyword-only hyperparameters stored verbatim, set ``tags`` and implement
    :meth:`estimate` (or :meth:`estimate_with_info`, whichever is more natural; each default calls the other).

    Example::

        class MyEstimator(BaseEstimator):
            tags = EstimatorTags(min_samples=10)

            def __init__(self, *, bins: int = 10):
                self.bins = bins

            def estimate(self, x, y):
                x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
                ...
                return value_in_nats
    """

    tags: ClassVar[EstimatorTags] = EstimatorTags()

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        """MI of the joint sample in nats."""
        if type(self).estimate_with_info is BaseEstimator.estimate_with_info:
            raise NotImplementedError(f"{type(self).__name__} implements neither estimate nor estimate_with_info")
        return estimate_value(self.estimate_with_info(x, y).value, f"{type(self).__name__}.estimate_with_info")

    def estimate_with_info(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """MI in nats with a JSON-able diagnostics dict (empty unless the subclass overrides this)."""
        return Estimate(estimate_value(self.estimate(x, y), f"{type(self).__name__}.estimate"), {})

    def prepare(self) -> None:
        """One-time, per-process set-up (lazy imports, compiling kernels) done ahead of the first estimate.

        Optional for estimators (the runner calls it when it exists): whatever it does must also happen by itself
        on the first :meth:`estimate`, which must give the same value with or without it. The runner calls it
        before it starts the clock and the memory measurement, so a job's time and memory are the estimate's own,
        the same for the first job a worker process runs as for the later ones. The default does nothing.
        """

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters passed to ``__init__`` (read back from the attributes of the same name)."""
        return get_params(self)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_params() == get_params(other)

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, params_hash(self.get_params())))


def get_params(estimator: Any) -> dict[str, Any]:
    """Read the keyword hyperparameters of any estimator from its ``__init__`` signature.

    Works for classes that do not inherit :class:`BaseEstimator`, as long as they follow the protocol.
    """
    signature = inspect.signature(type(estimator).__init__)
    params: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if not hasattr(estimator, name):
            raise AttributeError(
                f"{type(estimator).__name__}.__init__ takes {name!r} but does not store it as self.{name}; "
                "estimators must store their hyperparameters verbatim"
            )
        params[name] = getattr(estimator, name)
    return params


def clone(estimator: Any, **overrides: Any) -> Any:
    """A fresh, unfitted copy of ``estimator`` with the same hyperparameters (optionally some replaced)."""
    params = get_params(estimator)
    unknown = set(overrides) - set(params)
    if unknown:
        raise ValueError(
            f"{type(estimator).__name__} has no hyperparameter(s) {sorted(unknown)}; it has {sorted(params)}"
        )
    params.update(overrides)
    return type(estimator)(**params)


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces; numpy scalars and arrays as plain numbers and lists)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, (tuple, set, frozenset)):
            return list(obj)
        raise TypeError(f"hyperparameter value {obj!r} of type {type(obj).__name__} is not JSON-serialisable")

    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=default)


def params_hash(params: Mapping[str, Any]) -> str:
    """A stable 12-hex-digit digest of a hyperparameter dict (BLAKE2b of its canonical JSON).

    Stable across processes, platforms and Python versions (unlike ``hash()``), so it can key stored results.
    """
    return hashlib.blake2b(canonical_json(dict(params)).encode(), digest_size=6).hexdigest()


def task_context_params(
    tags: EstimatorTags, explicit_params: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Any]:
    """The hyperparameters a task supplies to an estimator: every name the estimator consumes
    (``tags.task_context``) that the task's ``context`` holds and ``explicit_params`` (the suite's) does not.

    Explicit parameters win, name by name, so a suite can still override what the task suggests. The result is
    merged into the constructor's parameters by the runner and recorded in the job's info.
    """
    return {name: context[name] for name in tags.task_context if name in context and name not in explicit_params}


# --------------------------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------------------------


def _as_2d(name: str, array: Any, allow_integer: bool) -> np.ndarray:
    try:
        arr = np.asarray(array)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 1-D or 2-D array of shape (n,) or (n, d), got {arr.ndim}-D shape {arr.shape}"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape}); it needs at least one dimension")
    if allow_integer and (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        return arr.astype(np.int64, copy=False)
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); remove or impute them first")
    return arr


def validate_sample(
    x: Any, y: Any, *, min_samples: int = 2, allow_integer: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Check and normalise a joint sample; every estimator calls this first.

    Returns ``(x, y)`` as 2-D ``(n, d)`` arrays: float64, or int64 for integer input when ``allow_integer``.
    The inputs are never modified (a copy is made only when a conversion is needed).

    Raises:
        ValueError: non-numeric or complex data, arrays that are not 1-D or 2-D, mismatched numbers of rows,
            NaN or infinite values, or fewer than ``min_samples`` rows. The message names the problem.
    """
    x2 = _as_2d("x", x, allow_integer)
    y2 = _as_2d("y", y, allow_integer)
    if x2.shape[0] != y2.shape[0]:
        raise ValueError(f"x and y must have the same number of samples (rows), got {x2.shape[0]} and {y2.shape[0]}")
    n = x2.shape[0]
    if n < min_samples:
        raise ValueError(f"too few samples: got n={n}, this estimator needs at least {min_samples}")
    return x2, y2


# --------------------------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------------------------


class Sampler(Protocol):
    """Draws ``n`` joint samples with a numpy ``Generator``; returns ``(x, y)`` of shapes ``(n, dim_x)``,
    ``(n, dim_y)``. Should be a picklable callable (a module-level function, ``functools.partial`` or an
    instance of a module-level class)."""

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...


TRUTH_KINDS = ("closed form", "exact", "monte carlo", "quadrature")

#: The context names a noisy-channel task supplies (see :attr:`Channel.context`): the noise's standard deviation
#: ``noise_std`` (b), its variance ``noise_variance`` (b^2) and ``target`` (``"input"`` or ``"labels"``).
CHANNEL_CONTEXT = ("noise_std", "noise_variance", "target")
CHANNEL_TARGETS = ("input", "labels")


@dataclass(frozen=True)
class Channel:
    r"""The Gaussian channel of a noisy task: one of its variables is :math:`T = S + Z`, :math:`Z \sim N(0, b^2 I)`,
    with the clean values :math:`S` drawn by ``clean_sampler``.

    Attributes:
        noise_std: :math:`b > 0`, the noise's standard deviation per coordinate.
        target: ``"input"`` -- the task is :math:`(X, T)` with :math:`S = f(X)` (``x`` the input, ``y`` = T);
            ``"labels"`` -- the task is :math:`(T, Y)` with discrete labels (``x`` = T, ``y`` the labels). This is
            the orientation of the KDE bounds and of the Gaussian-convolution estimator.
        clean_sampler: draws the task's rows before the noise, ``(x, y)`` with T replaced by S; the task's own
            sampler is :class:`ChannelSampler` of it, so the noisy and the clean rows of one seed are the same rows.
    """

    noise_std: float
    target: str
    clean_sampler: Sampler = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.noise_std, (int, float)) and math.isfinite(self.noise_std) and self.noise_std > 0):
            raise ValueError(f"a channel's noise_std must be a positive number, got {self.noise_std!r}")
        if self.target not in CHANNEL_TARGETS:
            raise ValueError(f"a channel's target must be one of {CHANNEL_TARGETS}, got {self.target!r}")

    @property
    def noisy_side(self) -> str:
        """Which variable of the task is T: ``"y"`` for ``target="input"``, ``"x"`` for ``target="labels"``."""
        return "y" if self.target == "input" else "x"

    @property
    def context(self) -> dict[str, Any]:
        """What the channel tells white-box estimators (:data:`CHANNEL_CONTEXT`)."""
        return {"noise_std": float(self.noise_std), "noise_variance": float(self.noise_std) ** 2, "target": self.target}

    def sampler(self) -> ChannelSampler:
        """The noisy task's sampler: the clean rows, then the noise on the noisy side."""
        return ChannelSampler(self.clean_sampler, float(self.noise_std), self.noisy_side)


@dataclass(frozen=True)
class ChannelSampler:
    """Draws ``(x, y)`` with ``clean`` and adds :math:`N(0, b^2 I)` noise to ``noisy_side``, from the same generator
    and after the clean draw, so :meth:`Task.sample_clean` with the same seed gives the same rows without the noise."""

    clean: Sampler
    noise_std: float
    noisy_side: str

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.clean(n, rng)
        x = np.asarray(x, dtype=np.float64).reshape(n, -1)
        y = np.asarray(y).reshape(n, -1)
        if self.noisy_side == "x":
            return x + self.noise_std * rng.standard_normal(x.shape), y
        y = y.astype(np.float64)
        return x, y + self.noise_std * rng.standard_normal(y.shape)


@dataclass(frozen=True)
class Task:
    """A named ground-truth distribution: the joint law of ``(X, Y)`` and its MI in nats.

    Attributes:
        id: stable, readable, unique name (e.g. ``gaussian-pairs-2x2-mi1``).
        family: the family the task belongs to (e.g. ``gaussian-pairs``).
        dim_x, dim_y: dimensions of the two variables.
        mi: the true mutual information in nats.
        sampler: draws the joint sample (see :class:`Sampler`).
        mi_stderr: 0 for closed-form or exact truths; the standard error (nats) for Monte-Carlo truths.
        truth: how the truth is known: one of ``"closed form"``, ``"exact"``, ``"monte carlo"``, ``"quadrature"``.
        params: JSON-able parameters that define the task (shown in listings, stored with results).
        version: changes whenever the sampler or the truth changes, so stored results of an older definition
            are never mixed with newer ones.
        description: one line for listings.
        discrete: whether samples are integer-valued (estimators without ``accepts_discrete`` may refuse them).
        context: JSON-able estimator settings that belong to the task rather than to a suite, keyed by
            hyperparameter name (for a network layer: the binning edges from the record's range, ``x_strategy`` for
            inputs that are symbols already, the KDE bound's ``target``). An estimator consumes the names it lists in
            ``EstimatorTags.task_context``; see :func:`task_context_params`. A channel task's context holds its
            :attr:`Channel.context` too.
        channel: for a noisy-channel task, its :class:`Channel` (the sampler must then be ``channel.sampler()``);
            ``None`` otherwise.
    """

    id: str
    family: str
    dim_x: int
    dim_y: int
    mi: float
    sampler: Sampler = field(repr=False, compare=False)
    mi_stderr: float = 0.0
    truth: str = "closed form"
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    version: str = "1"
    description: str = ""
    discrete: bool = False
    context: Mapping[str, Any] = field(default_factory=dict, compare=False)
    channel: Channel | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.id or any(c.isspace() for c in self.id):
            raise ValueError(f"task id must be a non-empty string without whitespace, got {self.id!r}")
        for name in ("dim_x", "dim_y"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not math.isfinite(self.mi) or self.mi < 0:
            raise ValueError(f"task {self.id}: mi must be a finite number >= 0 nats, got {self.mi!r}")
        if not math.isfinite(self.mi_stderr) or self.mi_stderr < 0:
            raise ValueError(f"task {self.id}: mi_stderr must be finite and >= 0, got {self.mi_stderr!r}")
        if self.truth not in TRUTH_KINDS:
            raise ValueError(f"task {self.id}: truth must be one of {TRUTH_KINDS}, got {self.truth!r}")
        if self.channel is not None:
            clash = {k for k, v in self.channel.context.items() if k in self.context and self.context[k] != v}
            if clash:
                raise ValueError(f"task {self.id}: context {sorted(clash)} disagrees with its channel")
            object.__setattr__(self, "context", {**self.context, **self.channel.context})

    @property
    def mi_bits(self) -> float:
        """The true MI in bits (reports only; mibench computes in nats)."""
        return self.mi / math.log(2)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` joint samples; deterministic in ``seed``, independent across seeds.

        The generator is ``numpy.random.default_rng(seed)`` (PCG64), so the same seed gives the same sample on
        any platform.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        x, y = self.sampler(int(n), np.random.default_rng(int(seed)))
        x = np.asarray(x).reshape(int(n), -1)
        y = np.asarray(y).reshape(int(n), -1)
        if x.shape[1] != self.dim_x or y.shape[1] != self.dim_y:
            raise RuntimeError(
                f"task {self.id}: sampler returned shapes {x.shape}, {y.shape}; "
                f"expected ({n}, {self.dim_x}), ({n}, {self.dim_y})"
            )
        return x, y

    def sample_clean(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows :meth:`sample` draws with the same ``seed``, before the channel's noise: the noisy side holds the
        clean values S (what white-box estimators read; see :class:`Channel`).

        Raises:
            ValueError: the task has no channel, or ``n``/``seed`` are invalid.
        """
        if self.channel is None:
            raise ValueError(f"task {self.id} is not a noisy-channel task: it has no clean values")
        noisy = self.with_sampler(self.channel.clean_sampler)
        return Task.sample(noisy, n, seed)

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary (everything except the samplers)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("sampler", "channel")}
        out["channel"] = (
            None if self.channel is None else {"noise_std": self.channel.noise_std, "target": self.channel.target}
        )
        out["params"] = dict(self.params)
        out["context"] = dict(self.context)
        out["mi_bits"] = self.mi_bits
        return out

    def with_sampler(self, sampler: Callable[..., Any], **changes: Any) -> Task:
        """A copy with another sampler and optionally other fields (used to compose MI-preserving maps)."""
        return dataclasses.replace(self, sampler=sampler, **changes)
