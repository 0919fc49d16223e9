"""The information-plane study: train, compute exact planes, run estimators on the same activations, compare.

:func:`run_study` trains the 12-bit (or digits, or a user's) network for every activation and seed of a
:class:`StudyConfig`, computes the exact information plane of every record (:func:`~mibench.networks.exact.
information_plane`: ``I(X; T)`` and ``I(T; Y)`` per layer and logged epoch, X uniform on the whole data set), runs
each configured estimator on the *same* activations (all ``n`` rows once each: the estimators get the whole
population, X uniform), and writes a tidy table ``planes.csv``:

    study, activation, seed, layer, epoch, source, i_xt_bits, i_ty_bits, status, error, seconds

``source`` is ``"exact"`` or the estimator's label; ``status`` is ``"ok"``, ``"partial"`` (one of the two
quantities failed) or ``"failed"``; ``error`` holds the failure messages (``"I(X;T): ...; I(T;Y): ..."``); failed
values are NaN. An estimator's failure is recorded, never fatal. ``seconds`` is the estimator's time for the row.
Layers are ``1 .. L`` (``L`` the softmax output). :mod:`~mibench.networks.fidelity` scores the table,
:mod:`~mibench.networks.plots` draws it.

**What each estimator gets** (:class:`EstimatorSpec`; values are the network's dequantized layer values):

* ``binning`` (default: 30 bins, ``bin_range="auto"``): the plug-in MI of binned values, as the
  information-plane literature computed it. The study chooses the edges and calls the registered estimator
  with ``strategy="fixed-edges"``:

  - ``bin_range="fixed"``: Shwartz-Ziv & Tishby's edges ``linspace(-1, 1, bins)`` (their code: 30 edges, 29
    cells; values at or above 1 share the last cell);
  - ``"global"``: ``bins`` equal-width cells between the min and max of all activations of all layers and
    logged epochs of the run (Lorenzen, Igel & Nielsen's binning comparison);
  - ``"layer"``: ``bins`` equal-width cells between the layer's own min and max at that epoch;
  - ``"auto"`` (default): ``"fixed"`` for tanh (the edges were made for tanh's ``(-1, 1)``) and ``"global"`` for
    ReLU (unbounded values; the per-run range keeps the edges fixed over epochs, so the binned MI does not move
    merely because the layer's range moves, which the per-layer range would do).

  X is passed as an injective 0/1 code of the input row (the bits of its index among the distinct inputs; for
  the 12-bit set that *is* the input), each bit placed on the first or the last edge so no binning merges two
  inputs; Y likewise as the bits of its class. With X uniform on distinct rows the estimate is then the binned
  ``H(T)`` for ``I(X; T)``, exactly as those papers computed it. Passing ``strategy`` in the params instead
  uses the estimator as given on the raw inputs and labels (``bin_range`` is then ignored).
* KDE bounds (any estimator whose class takes a ``target`` argument, e.g. ``kde-upper``; default
  ``noise_variance=1e-3``, Saxe et al.'s value for the 12-bit net): ``I(X; T)`` with ``target="input"`` on
  ``(X, T)``, ``I(T; Y)`` with ``target="labels"`` on ``(T, y)``.
* every other estimator (``ksg``, ``kl``, ``gaussian``, plugins): ``I(X; T)`` on ``(X, T)`` with X the raw inputs
  (the 12 binary inputs of the 12-bit set), ``I(T; Y)`` on ``(T, y)`` with y one float column of class indices.
  **Ties**: the layer values are quantized (at most 257 levels per unit) and y is discrete, so k-NN estimators
  (KSG, Kozachenko-Leonenko) often meet ``k + 1`` identical points and raise; the study records that as a
  failure with the estimator's message. ``EstimatorSpec(noise=s)`` adds ``N(0, s^2)`` jitter to T (seeded per
  seed, layer and epoch) to break ties instead -- never applied unless asked, and visible in the label and the
  manifest. Note also that with binary inputs every two distinct X differ by exactly 1 in the max-norm, which
  makes KSG's ``I(X; T)`` nearly a function of the layer alone (this is what the benchmark shows, not a bug).

**Resuming**: records already in ``out_dir/records`` whose settings match are reused (never retrained); a
directory whose manifest describes different training settings is refused (``ValueError``). Estimators are
always rerun (they are cheap next to training in the paper configuration, and their list may change).

**Restart rule** (Lorenzen et al.; on in the ``default`` and ``paper`` presets): a run whose training accuracy is
below ``restart_accuracy`` (0.55) at any logged epoch at or after ``restart_epoch`` (1000) is restarted with a new
initialisation. Checked on the record (:func:`needs_restart`); while training, the check also runs at each logged
epoch so a failing run stops early. Attempt ``a`` of seed ``s`` trains with seed ``s + a * RESTART_SEED_STRIDE``
(so the record name shows the seed actually used); a discarded attempt leaves a ``.rejected.json`` marker. With
log-spaced logging the rule sees only the logged epochs at or after ``restart_epoch``; the paper logged every
5th epoch. Runs shorter than ``restart_epoch`` are never restarted.

**Presets** (:func:`preset`): ``smoke`` (seconds; tests); ``default`` (tanh and ReLU, 3 seeds, 1500 epochs, 40
log-spaced logged epochs (36 distinct) for the exact planes, the estimators -- binning, KSG, and the KDE upper
bound if registered -- on 12 of them); ``paper`` (8000 epochs, 50 repetitions, MI every 5th epoch = 1601 logged
epochs, the restart rule, estimators on 40 of the logged epochs). Measured cost on the shared 2-core machine
(load 4-5): training 30 ms per epoch per run, KSG about 1 s and the KDE bound about 0.25 s per (layer, epoch)
(both quantities) at n = 4096, binning and the exact planes milliseconds. So ``default`` takes about 14 minutes
there; ``paper`` about 7 hours of training plus about 10 hours of estimators (``--estimators none``: exact
planes only), and its records are large (1601 logged epochs x 4096 rows of every layer: tens of MB each).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mibench.networks import records as store
from mibench.networks.training import TrainingRecord

__all__ = [
    "DEFAULT_ESTIMATORS",
    "PLANE_COLUMNS",
    "PRESETS",
    "RESTART_SEED_STRIDE",
    "EstimatorSpec",
    "RestartLimitError",
    "StudyConfig",
    "StudyResult",
    "analyse_study",
    "estimator_spec",
    "load_planes",
    "needs_restart",
    "preset",
    "run_study",
]

PLANES_CSV = "planes.csv"
PLANE_COLUMNS = [
    "study",
    "activation",
    "seed",
    "layer",
    "epoch",
    "source",
    "i_xt_bits",
    "i_ty_bits",
    "status",
    "error",
    "seconds",
]
EXACT = "exact"
LN2 = math.log(2.0)

#: Attempt ``a`` of seed ``s`` (the restart rule) trains with seed ``s + a * RESTART_SEED_STRIDE``.
RESTART_SEED_STRIDE = 1_000_000

#: Study-level parameters of the binning adapter (not passed to the estimator).
BIN_RANGES = ("auto", "fixed", "global", "layer")
MANIFEST_FORMAT = "1"


# --------------------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator of the study: a registry name (or ``module:Class`` path) with constructor parameters.

    Attributes:
        name: registry name, e.g. ``"binning"``, ``"ksg"``, ``"kde-upper"``.
        params: keyword parameters. For ``binning`` the study reads ``bins`` (default 30) and ``bin_range``
            (``"auto"``, ``"fixed"``, ``"global"``, ``"layer"``; see the module docstring) itself, unless
            ``strategy`` is given (then everything is passed through).
        label: the ``source`` in ``planes.csv`` (default: the name, plus ``+noise{s}`` when jitter is on).
        noise: standard deviation of Gaussian jitter added to the layer values before estimation (0: none).
        optional: an unregistered optional estimator is listed as unavailable instead of being an error.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None
    noise: float = 0.0
    optional: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"estimator name must be a non-empty string, got {self.name!r}")
        if not (isinstance(self.noise, (int, float)) and math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"estimator noise must be a finite number >= 0, got {self.noise!r}")
        object.__setattr__(self, "params", dict(self.params))
        if self.name == "binning" and "strategy" not in self.params:
            bin_range = self.params.get("bin_range", "auto")
            if bin_range not in BIN_RANGES:
                raise ValueError(f"binning: bin_range must be one of {BIN_RANGES}, got {bin_range!r}")
            bins = self.params.get("bins", 30)
            if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
                raise ValueError(f"binning: bins must be an integer >= 2, got {bins!r}")

    @property
    def source(self) -> str:
        if self.label:
            return self.label
        return self.name if not self.noise else f"{self.name}+noise{self.noise:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": _jsonable(self.params),
            "label": self.label,
            "noise": float(self.noise),
            "optional": bool(self.optional),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimatorSpec:
        return cls(
            name=data["name"],
            params=dict(data.get("params") or {}),
            label=data.get("label"),
            noise=float(data.get("noise", 0.0)),
            optional=bool(data.get("optional", False)),
        )


def estimator_spec(name: str, *, optional: bool = False) -> EstimatorSpec:
    """The study's default :class:`EstimatorSpec` for a registry name: binning with 30 bins (``bin_range="auto"``),
    KDE bounds with ``noise_variance=1e-3``, anything else with the estimator's own defaults."""
    if name == "binning":
        return EstimatorSpec("binning", {"bins": 30, "bin_range": "auto"}, optional=optional)
    if name in ("kde-upper", "kde-lower"):
        return EstimatorSpec(name, {"noise_variance": 1e-3}, optional=optional)
    return EstimatorSpec(name, optional=optional)


#: binning (30 bins), KSG (k = 3) and the Kolchinsky-Tracey KDE upper bound (optional: listed as unavailable
#: when the registry has no ``kde-upper``).
DEFAULT_ESTIMATORS: tuple[EstimatorSpec, ...] = (
    estimator_spec("binning"),
    estimator_spec("ksg"),
    estimator_spec("kde-upper", optional=True),
)


@dataclass(frozen=True)
class StudyConfig:
    """What an information-plane study trains, logs and estimates.

    Attributes:
        name: the study's name (``study`` column; presets use their own name).
        dataset: ``"12bit"``, ``"digits"`` or a ``.mat``/``.npz`` path.
        activations: hidden activations to train (``"tanh"``, ``"relu"``).
        seeds: repetition seeds (initialisation and batch order).
        epochs: training epochs.
        bits: quantization bits of the network.
        hidden: hidden widths (default: the data set's network; for a file the 12-bit net's ``10-7-5-4-3``).
        log_mode, log_count, log_every: the logged epochs (:func:`~mibench.networks.training.log_epochs`).
        estimators: the estimators run on every (seed, layer) at the estimated epochs.
        estimator_epochs: run the estimators on this many of the logged epochs (evenly spaced by position, always
            the first and the last; the exact planes use every logged epoch); ``None``: on all of them.
        learning_rate, batch_size, split_seed: training as the paper (Adam 1e-4, 256, stratified split seed 1000).
        restart_accuracy: the restart rule's threshold (``None``: off), checked at logged epochs
            ``>= restart_epoch``; at most ``max_restarts`` restarts per seed.
        threads: torch threads while training.
    """

    name: str = "default"
    dataset: str = "12bit"
    activations: tuple[str, ...] = ("tanh", "relu")
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 1500
    bits: int = 8
    hidden: tuple[int, ...] | None = None
    log_mode: str = "log"
    log_count: int = 40
    log_every: int | None = None
    estimators: tuple[EstimatorSpec, ...] = DEFAULT_ESTIMATORS
    estimator_epochs: int | None = None
    learning_rate: float = 1e-4
    batch_size: int = 256
    split_seed: int = 1000
    restart_accuracy: float | None = 0.55
    restart_epoch: int = 1000
    max_restarts: int = 10
    threads: int = 1

    def __post_init__(self) -> None:
        from mibench.networks.model import ACTIVATIONS

        activations = tuple(self.activations)
        if not activations:
            raise ValueError("a study needs at least one activation")
        for act in activations:
            if act not in ACTIVATIONS:
                raise ValueError(f"unknown activation {act!r}; use one of {', '.join(ACTIVATIONS)}")
        if len(set(activations)) != len(activations):
            raise ValueError(f"activations repeat: {activations}")
        seeds = tuple(int(s) for s in self.seeds)
        if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct integers >= 0 (at least one), got {self.seeds!r}")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be an integer >= 1, got {self.epochs!r}")
        estimators = tuple(e if isinstance(e, EstimatorSpec) else estimator_spec(str(e)) for e in self.estimators)
        sources = [e.source for e in estimators]
        if len(set(sources)) != len(sources) or EXACT in sources:
            raise ValueError(f"estimator labels must be distinct and not {EXACT!r}, got {sources}")
        if isinstance(self.max_restarts, bool) or not isinstance(self.max_restarts, int) or self.max_restarts < 0:
            raise ValueError(f"max_restarts must be an integer >= 0, got {self.max_restarts!r}")
        if self.restart_accuracy is not None and not 0 <= self.restart_accuracy <= 1:
            raise ValueError(f"restart_accuracy must be in [0, 1] or None, got {self.restart_accuracy!r}")
        hidden = None if self.hidden is None else tuple(int(w) for w in self.hidden)
        if hidden is not None and (not hidden or min(hidden) < 1):
            raise ValueError(f"hidden widths must be integers >= 1, got {self.hidden!r}")
        object.__setattr__(self, "activations", activations)
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "estimators", estimators)
        object.__setattr__(self, "hidden", hidden)
        self.logged_epochs()  # validates the log spec
        if self.estimator_epochs is not None and (
            isinstance(self.estimator_epochs, bool)
            or not isinstance(self.estimator_epochs, int)
            or self.estimator_epochs < 2
        ):
            raise ValueError(f"estimator_epochs must be an integer >= 2 or None, got {self.estimator_epochs!r}")

    def estimated_epochs(self) -> np.ndarray:
        """The logged epochs the estimators run on (see ``estimator_epochs``)."""
        logged = self.logged_epochs()
        if self.estimator_epochs is None or self.estimator_epochs >= logged.size:
            return logged
        positions = np.unique(np.rint(np.linspace(0, logged.size - 1, self.estimator_epochs)).astype(np.int64))
        return logged[positions]

    def logged_epochs(self) -> np.ndarray:
        from mibench.networks.training import log_epochs

        return log_epochs(self.epochs, self.log_mode, count=self.log_count, every=self.log_every)

    def replace(self, **changes: Any) -> StudyConfig:
        return dataclasses.replace(self, **changes)

    def training_settings(self) -> dict[str, Any]:
        """The settings every record of the study shares (a resumed study must match them)."""
        return {
            "dataset": self.dataset,
            "epochs": self.epochs,
            "bits": self.bits,
            "hidden": None if self.hidden is None else list(self.hidden),
            "logged_epochs": self.logged_epochs().tolist(),
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "split_seed": self.split_seed,
            "restart_accuracy": self.restart_accuracy,
            "restart_epoch": self.restart_epoch,
        }

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["activations"] = list(self.activations)
        out["seeds"] = list(self.seeds)
        out["hidden"] = None if self.hidden is None else list(self.hidden)
        out["estimators"] = [e.to_dict() for e in self.estimators]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyConfig:
        data = dict(data)
        data["activations"] = tuple(data["activations"])
        data["seeds"] = tuple(data["seeds"])
        data["hidden"] = None if data.get("hidden") is None else tuple(data["hidden"])
        data["estimators"] = tuple(EstimatorSpec.from_dict(e) for e in data.get("estimators", ()))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


#: The presets (see the module docstring for their measured cost).
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "name": "smoke",
        "seeds": (0,),
        "epochs": 8,
        "log_count": 3,
        "estimator_epochs": 2,
        "estimators": (estimator_spec("binning"), estimator_spec("gaussian")),
        "restart_accuracy": None,
    },
    "default": {"name": "default", "epochs": 1500, "log_count": 40, "estimator_epochs": 12},
    "paper": {
        "name": "paper",
        "seeds": tuple(range(50)),
        "epochs": 8000,
        "log_mode": "every",
        "log_every": 5,
        "restart_accuracy": 0.55,
        "restart_epoch": 1000,
        "estimator_epochs": 40,
    },
}


def preset(name: str, **overrides: Any) -> StudyConfig:
    """The :class:`StudyConfig` of a preset (``"smoke"``, ``"default"``, ``"paper"``) with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    settings = dict(PRESETS[name])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return StudyConfig(**settings)


# --------------------------------------------------------------------------------------------------------------
# Records: train or reuse, with the restart rule
# --------------------------------------------------------------------------------------------------------------


def needs_restart(record: TrainingRecord, threshold: float | None, after_epoch: int = 1000) -> bool:
    """The restart rule: training accuracy below ``threshold`` at some logged epoch ``>= after_epoch``."""
    if threshold is None:
        return False
    late = np.asarray(record.epochs) >= after_epoch
    return bool(np.any(np.asarray(record.train_accuracy)[late] < threshold))


class RestartLimitError(RuntimeError):
    """Every attempt of a seed failed the restart rule (raise ``max_restarts`` or lower the threshold)."""


class _Restart(Exception):
    def __init__(self, epoch: int, accuracy: float):
        super().__init__(f"training accuracy {accuracy:.4f} at epoch {epoch}")
        self.epoch, self.accuracy = epoch, accuracy


def _dataset(config: StudyConfig) -> Any:
    from mibench.networks.datasets import get_dataset

    return get_dataset(config.dataset)


def _spec(config: StudyConfig, dataset: Any, activation: str) -> Any:
    from mibench.networks.model import TWELVE_BIT_WIDTHS, NetworkSpec

    if config.hidden is None and dataset.name in ("12bit", "digits"):
        return NetworkSpec.for_dataset(dataset.name, activation, bits=config.bits)
    hidden = config.hidden if config.hidden is not None else TWELVE_BIT_WIDTHS[1:-1]
    widths = (dataset.dim, *hidden, dataset.n_classes)
    return NetworkSpec(widths=widths, activation=activation, bits=config.bits)


def _check_record(record: TrainingRecord, config: StudyConfig, spec: Any, dataset: Any, path: Path) -> None:
    expected = {
        "dataset": dataset.name,
        "spec": spec.to_dict(),
        "split_seed": config.split_seed,
        "learning_rate": float(config.learning_rate),
        "batch_size": config.batch_size,
        "n_epochs": config.epochs,
    }
    identity = record.identity()
    wrong = {k: (identity.get(k), v) for k, v in expected.items() if identity.get(k) != v}
    if not np.array_equal(record.epochs, config.logged_epochs()):
        wrong["logged epochs"] = (len(record.epochs), len(config.logged_epochs()))
    if wrong:
        details = "; ".join(f"{k}: stored {a!r}, asked {b!r}" for k, (a, b) in wrong.items())
        raise ValueError(
            f"{path} was trained with other settings ({details}); use another output directory or delete it"
        )


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _obtain_record(
    config: StudyConfig,
    dataset: Any,
    activation: str,
    seed: int,
    out_dir: Path,
    progress: Callable[[str], None] | None,
) -> tuple[TrainingRecord, dict[str, Any]]:
    """Reuse or train the record of (activation, seed), applying the restart rule."""
    from mibench.networks.training import train

    spec = _spec(config, dataset, activation)
    logged = config.logged_epochs()
    rejected: list[dict[str, Any]] = []
    for attempt in range(config.max_restarts + 1):
        training_seed = seed + attempt * RESTART_SEED_STRIDE
        name = _record_name(dataset.name, spec, training_seed)
        path = store.record_path(out_dir, name)
        marker = store.rejected_path(out_dir, name)
        if marker.is_file():
            rejected.append(json.loads(marker.read_text(encoding="utf-8")))
            continue
        if path.is_file():
            record = store.load_record(path)
            _check_record(record, config, spec, dataset, path)
            trained = False
        else:
            check_from = config.restart_epoch if config.restart_accuracy is not None else None

            def on_log(epoch: int, train_acc: float, test_acc: float, _from: int | None = check_from) -> None:
                if _from is not None and epoch >= _from and train_acc < config.restart_accuracy:  # type: ignore[operator]
                    raise _Restart(epoch, train_acc)

            started = time.perf_counter()
            try:
                record = train(
                    dataset,
                    spec,
                    epochs=config.epochs,
                    seed=training_seed,
                    split_seed=config.split_seed,
                    learning_rate=config.learning_rate,
                    batch_size=config.batch_size,
                    log_at=logged,
                    progress=on_log,
                    threads=config.threads,
                )
            except _Restart as stop:
                info = {"record": name, "epoch": stop.epoch, "train_accuracy": stop.accuracy, "attempt": attempt}
                store.write_json(marker, info)
                rejected.append(info)
                _say(progress, f"restart {activation} seed {seed}: {stop} (attempt {attempt})")
                continue
            store.save_record(record, out_dir)
            trained = True
            _say(
                progress,
                f"trained {name}: {config.epochs} epochs in {time.perf_counter() - started:.1f} s, "
                f"train accuracy {record.train_accuracy[-1]:.3f}",
            )
        if needs_restart(record, config.restart_accuracy, config.restart_epoch):
            late = record.epochs >= config.restart_epoch
            info = {
                "record": name,
                "epoch": int(record.epochs[late][np.argmin(record.train_accuracy[late])]),
                "train_accuracy": float(np.min(record.train_accuracy[late])),
                "attempt": attempt,
            }
            store.write_json(marker, info)
            rejected.append(info)
            continue
        run = {
            "activation": activation,
            "seed": seed,
            "training_seed": training_seed,
            "record": name,
            "path": str(path.relative_to(out_dir)),
            "trained": trained,
            "seconds": float(record.seconds),
            "final_train_accuracy": float(record.train_accuracy[-1]),
            "final_test_accuracy": float(record.test_accuracy[-1]),
            "restarts": rejected,
        }
        return record, run
    raise RestartLimitError(
        f"{activation} seed {seed}: every one of {config.max_restarts + 1} attempts failed the restart rule "
        f"(training accuracy below {config.restart_accuracy} at or after epoch {config.restart_epoch})"
    )


def _record_name(dataset: str, spec: Any, seed: int) -> str:
    """:attr:`TrainingRecord.name` of a run before it exists (the name depends on settings only)."""
    from mibench.networks.training import TrainingRecord

    dummy = TrainingRecord.__new__(TrainingRecord)
    object.__setattr__(dummy, "dataset", dataset)
    object.__setattr__(dummy, "spec", spec)
    object.__setattr__(dummy, "seed", seed)
    return TrainingRecord.name.fget(dummy)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------------------
# Estimators on the activations
# --------------------------------------------------------------------------------------------------------------


def _bit_code(ids: np.ndarray, low: float, high: float) -> np.ndarray:
    """``(n, max(1, ceil(log2 k)))`` 0/1 code of integer ids (k distinct), bits placed on ``low`` / ``high``."""
    k = int(ids.max()) + 1
    width = max(1, (k - 1).bit_length())
    bits = (ids[:, None] >> np.arange(width - 1, -1, -1)) & 1
    return np.where(bits == 1, high, low).astype(np.float64)


class _Prepared:
    """One estimator, resolved and ready: how it is called for I(X;T) and I(T;Y)."""

    def __init__(self, spec: EstimatorSpec):
        from mibench.estimators import get_estimator_class

        self.spec = spec
        self.cls = get_estimator_class(spec.name)
        params = dict(spec.params)
        self.binning = spec.name == "binning" and "strategy" not in params
        if self.binning:
            self.bins = int(params.pop("bins", 30))
            self.bin_range = params.pop("bin_range", "auto")
        self.params = params
        try:
            signature = inspect.signature(self.cls.__init__).parameters
        except (TypeError, ValueError):
            signature = {}
        self.kde_style = "target" in signature and not self.binning

    def edges(self, activation: str, values: np.ndarray, global_range: tuple[float, float]) -> np.ndarray:
        mode = self.bin_range
        if mode == "auto":
            mode = "fixed" if activation == "tanh" else "global"
        if mode == "fixed":
            return np.linspace(-1.0, 1.0, self.bins)
        lo, hi = global_range if mode == "global" else (float(values.min()), float(values.max()))
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5  # a constant layer: any cells give one symbol
        return np.linspace(lo, hi, self.bins + 1)

    def estimate(
        self,
        pair: str,
        activation: str,
        t: np.ndarray,
        x: np.ndarray,
        x_ids: np.ndarray,
        y: np.ndarray,
        global_range: tuple[float, float],
    ) -> float:
        """The estimate in nats of ``I(X; T)`` (``pair="xt"``) or ``I(T; Y)`` (``"ty"``)."""
        if self.binning:
            edges = self.edges(activation, t, global_range)
            estimator = self.cls(strategy="fixed-edges", edges=edges.tolist(), **self.params)
            other = _bit_code(x_ids if pair == "xt" else y, float(edges[0]), float(edges[-1]))
            return float(estimator.estimate(other, t) if pair == "xt" else estimator.estimate(t, other))
        if self.kde_style:
            target = "input" if pair == "xt" else "labels"
            estimator = self.cls(**self.params, target=target)
            return float(estimator.estimate(x, t) if pair == "xt" else estimator.estimate(t, y.reshape(-1, 1)))
        estimator = self.cls(**self.params)
        if pair == "xt":
            return float(estimator.estimate(x, t))
        return float(estimator.estimate(t, y.astype(np.float64).reshape(-1, 1)))


def _resolve_estimators(
    specs: Sequence[EstimatorSpec],
) -> tuple[list[_Prepared], dict[str, str]]:
    from mibench.errors import UnknownNameError

    prepared: list[_Prepared] = []
    unavailable: dict[str, str] = {}
    for spec in specs:
        try:
            prepared.append(_Prepared(spec))
        except (UnknownNameError, ImportError, ValueError) as exc:
            if not spec.optional:
                raise ValueError(f"estimator {spec.name!r} is not available: {exc}") from exc
            unavailable[spec.source] = str(exc).split(". Available")[0]
    return prepared, unavailable


def _global_range(record: TrainingRecord) -> tuple[float, float]:
    lows = [float(g[0]) for layer in record.grids for g in layer if g.size]
    highs = [float(g[-1]) for layer in record.grids for g in layer if g.size]
    return min(lows), max(highs)


def _estimate_record(
    record: TrainingRecord,
    activation: str,
    seed: int,
    study: str,
    prepared: Sequence[_Prepared],
    epochs: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    wanted = None if epochs is None else {int(e) for e in epochs}
    x = np.asarray(record.x, dtype=np.float64)
    _, x_ids = np.unique(x, axis=0, return_inverse=True)
    x_ids = np.asarray(x_ids).reshape(-1).astype(np.int64)
    y = np.asarray(record.y, dtype=np.int64).reshape(-1)
    global_range = _global_range(record)
    for j, epoch in enumerate(record.epochs.tolist()):
        if wanted is not None and int(epoch) not in wanted:
            continue
        for layer in range(1, record.n_layers + 1):
            clean = record.grids[layer - 1][j][record.codes[layer - 1][j]]
            for est in prepared:
                t = clean
                if est.spec.noise:
                    rng = np.random.default_rng([seed, layer, int(epoch), 7])
                    t = clean + rng.normal(0.0, est.spec.noise, size=clean.shape)
                values: dict[str, float] = {}
                errors: list[str] = []
                started = time.perf_counter()
                for pair, quantity in (("xt", "I(X;T)"), ("ty", "I(T;Y)")):
                    try:
                        values[pair] = est.estimate(pair, activation, t, x, x_ids, y, global_range) / LN2
                        if not math.isfinite(values[pair]):
                            raise ValueError(f"non-finite estimate {values[pair]!r}")
                    except Exception as exc:  # an estimator's failure is recorded, never fatal
                        values[pair] = math.nan
                        errors.append(f"{quantity}: {type(exc).__name__}: {exc}")
                failed = len(errors)
                rows.append(
                    {
                        "study": study,
                        "activation": activation,
                        "seed": seed,
                        "layer": layer,
                        "epoch": int(epoch),
                        "source": est.spec.source,
                        "i_xt_bits": values["xt"],
                        "i_ty_bits": values["ty"],
                        "status": "ok" if failed == 0 else "partial" if failed == 1 else "failed",
                        "error": "; ".join(errors),
                        "seconds": time.perf_counter() - started,
                    }
                )
    return rows


def _exact_rows(record: TrainingRecord, activation: str, seed: int, study: str) -> list[dict[str, Any]]:
    from mibench.networks.exact import information_plane

    started = time.perf_counter()
    plane = information_plane(record, unit="bits")
    per_row = (time.perf_counter() - started) / max(plane["i_xt"].size, 1)
    rows = []
    for j, epoch in enumerate(plane["epochs"].tolist()):
        for layer in range(1, record.n_layers + 1):
            rows.append(
                {
                    "study": study,
                    "activation": activation,
                    "seed": seed,
                    "layer": layer,
                    "epoch": int(epoch),
                    "source": EXACT,
                    "i_xt_bits": float(plane["i_xt"][j, layer - 1]),
                    "i_ty_bits": float(plane["i_ty"][j, layer - 1]),
                    "status": "ok",
                    "error": "",
                    "seconds": per_row,
                }
            )
    return rows


# --------------------------------------------------------------------------------------------------------------
# The study
# --------------------------------------------------------------------------------------------------------------


@dataclass
class StudyResult:
    """What :func:`run_study` did: the planes table and where everything is."""

    config: StudyConfig
    out_dir: Path
    planes: Any  # pandas.DataFrame with PLANE_COLUMNS
    runs: list[dict[str, Any]]
    unavailable: dict[str, str]
    timings: dict[str, float]

    @property
    def planes_path(self) -> Path:
        return self.out_dir / PLANES_CSV

    @property
    def record_paths(self) -> list[Path]:
        return [self.out_dir / run["path"] for run in self.runs]


def _progress_printer(progress: bool | Callable[[str], None]) -> Callable[[str], None] | None:
    if callable(progress):
        return progress
    if progress:
        return lambda message: print(f"[ib] {message}", file=sys.stderr, flush=True)
    return None


def _check_manifest(out_dir: Path, config: StudyConfig) -> dict[str, Any] | None:
    manifest = store.read_manifest(out_dir)
    if manifest is None:
        return None
    stored = manifest.get("training")
    asked = json.loads(json.dumps(config.training_settings()))
    if stored != asked:
        keys = sorted(k for k in set(stored or {}) | set(asked) if (stored or {}).get(k) != asked.get(k))
        raise ValueError(
            f"{out_dir} holds a study with other training settings (differing: {', '.join(keys)}); "
            "use another output directory"
        )
    return manifest


def run_study(
    config: StudyConfig,
    out_dir: str | Path,
    progress: bool | Callable[[str], None] = True,
) -> StudyResult:
    """Train (or reuse), compute exact planes, run the estimators, write ``manifest.json`` and ``planes.csv``.

    Args:
        config: the study (see :func:`preset`).
        out_dir: the study directory (created; records already there with matching settings are reused).
        progress: print one line per trained run and per estimated record to stderr (or a callable taking a line).

    Returns:
        A :class:`StudyResult`; ``result.planes`` is the ``planes.csv`` table (pandas DataFrame).

    Raises:
        ValueError: an unknown data set or a required estimator that is not registered, or ``out_dir`` holds a
            study trained with other settings.
    """
    import pandas as pd

    say = _progress_printer(progress)
    out_dir = Path(out_dir)
    started = time.perf_counter()
    dataset = _dataset(config)
    prepared, unavailable = _resolve_estimators(config.estimators)
    for source, why in unavailable.items():
        _say(say, f"estimator {source} unavailable: {why}")
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _check_manifest(out_dir, config)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "study": config.name,
        "config": config.to_dict(),
        "training": config.training_settings(),
        "dataset": {
            "name": dataset.name,
            "n": dataset.n,
            "dim": dataset.dim,
            "n_classes": dataset.n_classes,
            "label_entropy_bits": dataset.label_entropy("bits"),
        },
        "unavailable": unavailable,
        "runs": (previous or {}).get("runs", []),
        "status": "running",
    }
    store.write_manifest(out_dir, manifest)

    rows: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    timings = {"train_s": 0.0, "exact_s": 0.0, "estimators_s": 0.0}
    for activation in config.activations:
        for seed in config.seeds:
            t0 = time.perf_counter()
            record, run = _obtain_record(config, dataset, activation, seed, out_dir, say)
            timings["train_s"] += time.perf_counter() - t0
            runs.append(run)
            t0 = time.perf_counter()
            rows.extend(_exact_rows(record, activation, seed, config.name))
            timings["exact_s"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            rows.extend(_estimate_record(record, activation, seed, config.name, prepared, config.estimated_epochs()))
            spent = time.perf_counter() - t0
            timings["estimators_s"] += spent
            if prepared:
                _say(say, f"estimated {run['record']}: {len(prepared)} estimator(s) in {spent:.1f} s")

    planes = pd.DataFrame(rows, columns=PLANE_COLUMNS)
    planes.to_csv(out_dir / PLANES_CSV, index=False)
    timings["total_s"] = time.perf_counter() - started
    per_source = planes.groupby("source")["seconds"].sum() if len(planes) else {}
    manifest.update(
        runs=runs,
        status="complete",
        timings=timings,
        seconds_by_source={str(k): float(v) for k, v in dict(per_source).items()},
    )
    store.write_manifest(out_dir, manifest)
    return StudyResult(config, out_dir, planes, runs, unavailable, timings)


def load_planes(out_dir: str | Path) -> Any:
    """The ``planes.csv`` of a study directory as a DataFrame (``ValueError`` if there is none)."""
    import pandas as pd

    path = Path(out_dir) / PLANES_CSV
    if not path.is_file():
        raise ValueError(f"{out_dir}: no {PLANES_CSV} (run `mibench ib run --out {out_dir}` first)")
    planes = pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"])
    missing = [c for c in PLANE_COLUMNS if c not in planes.columns and c != "seconds"]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    planes["error"] = [e if isinstance(e, str) else "" for e in planes["error"].astype(object)]
    return planes


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _iter_sources(planes: Any) -> Iterable[str]:  # pragma: no cover - small helper for callers
    return [s for s in planes["source"].unique() if s != EXACT]


# --------------------------------------------------------------------------------------------------------------
# Analysis: fidelity, findings, figure and a short report from a study directory
# --------------------------------------------------------------------------------------------------------------

FIDELITY_CSV = "fidelity.csv"
FINDINGS_JSON = "findings.json"
PLANES_PNG = "planes.png"
REPORT_MD = "report.md"


def analyse_study(out_dir: str | Path, *, tol: float | None = None) -> dict[str, Path]:
    """Score and draw a study directory from its stored ``planes.csv`` (and ``manifest.json`` if present):
    writes ``fidelity.csv``, ``findings.json``, ``planes.png`` and ``report.md``; returns their paths by name.

    Nothing is trained or estimated again. ``tol``: the phase tolerance in bits (default
    :data:`~mibench.networks.fidelity.PHASE_TOLERANCE_BITS`).
    """
    from mibench.networks import fidelity as fid
    from mibench.networks.plots import plot_information_planes

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ValueError(f"{out_dir}: no such study directory")
    tol = fid.PHASE_TOLERANCE_BITS if tol is None else float(tol)
    planes = load_planes(out_dir)
    if not (planes["source"] == EXACT).any():
        raise ValueError(f"{out_dir / PLANES_CSV}: no exact rows")
    manifest = store.read_manifest(out_dir) or {}
    n_rows = (manifest.get("dataset") or {}).get("n")
    log2_n = math.log2(n_rows) if n_rows else None
    label_entropy = (manifest.get("dataset") or {}).get("label_entropy_bits")

    has_estimators = bool((planes["source"] != EXACT).any())
    table = fid.fidelity(planes, tol) if has_estimators else None
    if table is not None:
        table.to_csv(out_dir / FIDELITY_CSV, index=False)
    else:
        (out_dir / FIDELITY_CSV).write_text(",".join(["source", "activation", "layer"]) + "\n", encoding="utf-8")
    facts = fid.findings(planes, tol, log2_n=log2_n, label_entropy=label_entropy)
    store.write_json(out_dir / FINDINGS_JSON, _jsonable(facts))
    title = f"information planes: {manifest.get('study', planes['study'].iloc[0])} ({planes['seed'].nunique()} seed(s))"
    png = plot_information_planes(planes, out_dir / PLANES_PNG, title=title)
    report = _report_markdown(planes, table, facts, manifest)
    (out_dir / REPORT_MD).write_text(report, encoding="utf-8")
    return {
        "planes": out_dir / PLANES_CSV,
        "fidelity": out_dir / FIDELITY_CSV,
        "findings": out_dir / FINDINGS_JSON,
        "figure": png,
        "report": out_dir / REPORT_MD,
    }


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "-" if not math.isfinite(number) else f"{number:.{digits}f}"


def _md_table(rows: list[list[Any]], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate([[_fmt(v) for v in row] for row in rows], headers=headers, tablefmt="github", disable_numparse=True)


def _report_markdown(planes: Any, table: Any, facts: dict[str, Any], manifest: dict[str, Any]) -> str:
    config = manifest.get("config") or {}
    lines = [f"# Information-plane study `{manifest.get('study', planes['study'].iloc[0])}`", ""]
    if config:
        estimators = ", ".join(e.get("label") or e["name"] for e in config.get("estimators", [])) or "none"
        lines += [
            f"- data set: {config.get('dataset')}; activations: {', '.join(config.get('activations', []))}; "
            f"seeds: {len(config.get('seeds', []))}; epochs: {config.get('epochs')}; "
            f"logged epochs: {len(manifest.get('training', {}).get('logged_epochs', []))}; "
            f"estimators on {config.get('estimator_epochs') or 'all'} of them",
            f"- estimators: {estimators}",
        ]
    for source, why in (manifest.get("unavailable") or {}).items():
        lines.append(f"- unavailable: {source} ({why})")
    timings = manifest.get("timings")
    if timings:
        lines.append(
            f"- time: {timings.get('total_s', 0):.0f} s in all (training {timings.get('train_s', 0):.0f} s, exact "
            f"{timings.get('exact_s', 0):.1f} s, estimators {timings.get('estimators_s', 0):.0f} s)"
        )
    lines += [f"- tolerance for phases: {facts['tolerance_bits']} bits; all values in bits", ""]

    runs = manifest.get("runs") or []
    if runs:
        lines += ["## Runs", ""]
        rows = [
            [
                r["record"],
                r["training_seed"],
                r["final_train_accuracy"],
                r["final_test_accuracy"],
                len(r.get("restarts", [])),
                "trained" if r.get("trained") else "reused",
            ]
            for r in runs
        ]
        lines += [_md_table(rows, ["record", "seed used", "train acc", "test acc", "restarts", ""]), ""]

    lines += ["## Findings of the exact planes", ""]
    lines.append(
        f"- fitting phase in every layer: {_fmt(facts['fitting_every_layer'])} "
        f"(every layer whose I(T;Y) does not start at H(Y): {_fmt(facts['fitting_every_unsaturated_layer'])})"
    )
    lines.append(
        f"- compression in the output layer: {_fmt(facts['output_compression'])} ("
        + ", ".join(
            f"{a}: {_fmt(facts['output_compression_bits'][a])} bits, "
            f"{_fmt(facts['output_compression_seed_fraction'][a], 2)} of seeds"
            for a in facts["activations"]
        )
        + ")"
    )
    lines.append(
        "- hidden layers compressing: "
        + "; ".join(f"{a}: {facts['hidden_compressing_layers'][a] or 'none'}" for a in facts["activations"])
        + " on the seed-averaged curves; in every seed: "
        + "; ".join(
            f"{a}: {facts['hidden_layers_compressing_in_every_seed'][a] or 'none'}" for a in facts["activations"]
        )
        + f" (depends on the activation: {_fmt(facts['hidden_compression_depends_on_activation'])}; "
        f"tanh compresses more than ReLU: {_fmt(facts['tanh_compresses_more_than_relu'])})"
    )
    for activation in facts["activations"]:
        per_seed = facts["hidden_compression_seed_mean_bits"][activation]
        fraction = facts["hidden_compression_seed_fraction"][activation]
        lines.append(
            f"- {activation} hidden-layer compression per seed (mean bits, fraction of seeds): "
            + ", ".join(f"T{k} {_fmt(v)} ({_fmt(fraction[k], 2)})" for k, v in per_seed.items())
        )
    lines.append("")
    rows = []
    for activation, per in facts["layers"].items():
        for layer, f in per.items():
            rows.append(
                [
                    activation,
                    "output" if f["output"] else f"T{layer}",
                    f["first_xt_bits"],
                    f["max_xt_bits"],
                    f["max_xt_epoch"],
                    f["last_xt_bits"],
                    f["first_ty_bits"],
                    f["max_ty_bits"],
                    f["last_ty_bits"],
                    f["fitting"],
                    f["compression_bits"],
                    f["compression"],
                    f["compression_seed_fraction"],
                    f["compression_seed_mean_bits"],
                ]
            )
    headers = [
        "act",
        "layer",
        "I(X;T) first",
        "max",
        "at epoch",
        "last",
        "I(T;Y) first",
        "max",
        "last",
        "fitting",
        "compression",
        "compresses",
        "of seeds",
        "per-seed mean",
    ]
    lines += [_md_table(rows, headers), ""]

    if table is not None and len(table):
        lines += ["## Estimator fidelity (all layers)", ""]
        overall = table[table["layer"].astype(str) == "all"]
        rows = [
            [
                r.source,
                r.activation,
                r.mae_xt_bits,
                r.mae_ty_bits,
                r.spearman_xt,
                r.phase_agreement,
                r.failed_xt,
                r.failed_ty,
            ]
            for r in overall.itertuples()
        ]
        headers = [
            "source",
            "act",
            "MAE I(X;T)",
            "MAE I(T;Y)",
            "Spearman I(X;T)",
            "phases agree",
            "failed X;T",
            "failed T;Y",
        ]
        lines += [_md_table(rows, headers), ""]
        errors = planes[(planes["source"] != EXACT) & (planes["error"].astype(str) != "")]
        if len(errors):
            lines += ["Failures (first message per estimator):", ""]
            for source, group in errors.groupby("source"):
                lines.append(f"- {source}: {len(group)} row(s); e.g. {str(group['error'].iloc[0])[:300]}")
            lines.append("")
    lines += [f"![information planes]({PLANES_PNG})", ""]
    return "\n".join(lines)
