"""What an information-plane study trains, logs and estimates: :class:`StudyConfig` and its presets.

A study trains one network per (activation, seed), computes the exact planes of every record, and scores
estimators on network tasks of the same records through the runner (see :mod:`~mibench.networks.study`). The
estimators are ordinary suite entries (:class:`mibench.suites.EstimatorSpec`); what differs per layer (binning
edges, the KDE bound's target) comes from the tasks' context (:mod:`~mibench.networks.tasks`).

Presets (:func:`preset`):

* ``smoke``: one seed, 8 epochs, binning and the Gaussian baseline on 2 of 3 logged epochs; seconds (tests).
* ``default``: tanh and ReLU, 3 seeds, 1500 epochs, 40 log-spaced logged epochs (36 distinct) for the exact planes,
  binning, KSG and the KDE upper bound (when registered) on 12 of them.
* ``paper``: Lorenzen, Igel & Nielsen's scale: 8000 epochs, 50 repetitions, MI every 5th epoch (1601 logged epochs),
  the restart rule, estimators on 40 of the logged epochs. Its records are large (tens of MB each). Measured costs
  of the presets are in ``reports/``.

**Noisy studies** (``noise_std`` set; ``mibench ib run --noise b``): the same trained networks, each layer read
through Gaussian noise ``N(0, b^2 I)`` (:mod:`~mibench.networks.noisy`); the planes' truth is Monte Carlo over the
exact mixture at the estimated epochs. A preset asked with a noise level takes its :data:`NOISY_PRESETS` settings
first (explicit overrides still win): the estimators KSG and binning on the noisy values, and the white-box ones on
the same rows' clean values (the KDE bounds with noise variance ``b^2`` and the Gaussian-convolution estimator), on
fewer epochs and layers so that the truths and estimators fit the time a study should take (``default``: 6 epochs,
every layer; measured in ``reports/ib-noisy/``).

**Restart rule** (Lorenzen et al.; on in ``default`` and ``paper``): a run whose training accuracy is below
``restart_accuracy`` (0.55) at any logged epoch at or after ``restart_epoch`` (1000) is restarted with a new
initialisation (:mod:`~mibench.networks.restarts`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mibench.networks.ids import check_noise
from mibench.suites import EstimatorSpec
from mibench.validation import check_int

__all__ = [
    "DEFAULT_ESTIMATORS",
    "NOISY_ESTIMATORS",
    "NOISY_PRESETS",
    "PRESETS",
    "StudyConfig",
    "estimator_spec",
    "preset",
]


def estimator_spec(value: str | EstimatorSpec | Mapping[str, Any]) -> EstimatorSpec:
    """An estimator of a study: a registry name (or ``module:Class`` path) with its defaults, an
    :class:`EstimatorSpec`, or its dict form (``{"name": ..., "params": {...}}``)."""
    if isinstance(value, EstimatorSpec):
        return value
    if isinstance(value, Mapping):
        return EstimatorSpec(str(value["name"]), dict(value.get("params") or {}))
    if not isinstance(value, str) or not value:
        raise ValueError(f"an estimator must be a non-empty name, got {value!r}")
    return EstimatorSpec(value)


#: binning, KSG (k = 3) and the Kolchinsky-Tracey KDE upper bound (optional: listed as unavailable when the
#: registry has no ``kde-upper``).
DEFAULT_ESTIMATORS: tuple[EstimatorSpec, ...] = (
    EstimatorSpec("binning"),
    EstimatorSpec("ksg"),
    EstimatorSpec("kde-upper"),
)


#: The estimators of a noisy study: KSG and binning on the noisy sample; the KDE bounds and the Gaussian-convolution
#: estimator on the same rows' clean values with the channel's noise (white-box; optional where not registered).
NOISY_ESTIMATORS: tuple[EstimatorSpec, ...] = (
    EstimatorSpec("ksg"),
    EstimatorSpec("binning"),
    EstimatorSpec("kde-upper"),
    EstimatorSpec("kde-lower"),
    EstimatorSpec("gaussian-convolution"),
)
_NOISY_OPTIONAL = ("kde-upper", "kde-lower", "gaussian-convolution")


@dataclass(frozen=True)
class StudyConfig:
    """What an information-plane study trains, logs and estimates.

    Attributes:
        name: the study's name (presets use their own name).
        dataset: ``"12bit"``, ``"digits"`` or a ``.mat``/``.npz`` path.
        activations: hidden activations to train (``"tanh"``, ``"relu"``).
        seeds: repetition seeds (initialisation and batch order).
        epochs: training epochs.
        bits: quantization bits of the network.
        hidden: hidden widths (default: the data set's network; for a file the 12-bit net's ``10-7-5-4-3``).
        log_mode, log_count, log_every: the logged epochs (:func:`~mibench.networks.training.log_epochs`).
        estimators: the estimators scored on every (seed, layer, pair) at the estimated epochs.
        optional: names among ``estimators`` that are skipped (and listed as unavailable) when not registered.
        estimator_epochs: run the estimators on this many of the logged epochs (evenly spaced by position, always
            the first and the last; the exact planes use every logged epoch); ``None``: on all of them.
        layers: the layers (1-based; the last is the output) the estimators run on; ``None``: every layer.
        noise_std: read each layer through Gaussian noise of this standard deviation (a noisy study: Monte-Carlo
            truths at the estimated epochs and layers); ``None``: the quantized layers, exact truths.
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
    optional: tuple[str, ...] = ("kde-upper",)
    estimator_epochs: int | None = None
    learning_rate: float = 1e-4
    batch_size: int = 256
    split_seed: int = 1000
    restart_accuracy: float | None = 0.55
    restart_epoch: int = 1000
    max_restarts: int = 10
    threads: int = 1
    layers: tuple[int, ...] | None = None
    noise_std: float | None = None

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
        check_int("epochs", self.epochs, 1)
        check_int("max_restarts", self.max_restarts, 0)
        estimators = tuple(estimator_spec(e) for e in self.estimators)
        names = [e.name for e in estimators]
        if len(set(names)) != len(names):
            raise ValueError(f"estimators repeat: {names}")
        if self.restart_accuracy is not None and not 0 <= self.restart_accuracy <= 1:
            raise ValueError(f"restart_accuracy must be in [0, 1] or None, got {self.restart_accuracy!r}")
        hidden = None if self.hidden is None else tuple(int(w) for w in self.hidden)
        if hidden is not None and (not hidden or min(hidden) < 1):
            raise ValueError(f"hidden widths must be integers >= 1, got {self.hidden!r}")
        if self.estimator_epochs is not None:
            check_int("estimator_epochs", self.estimator_epochs, 2)
        layers = None if self.layers is None else tuple(int(v) for v in self.layers)
        if layers is not None and (not layers or min(layers) < 1 or len(set(layers)) != len(layers)):
            raise ValueError(f"layers must be distinct integers >= 1 (1-based; the last is the output), got {layers}")
        noise = None if self.noise_std is None else check_noise(self.noise_std)
        object.__setattr__(self, "layers", None if layers is None else tuple(sorted(layers)))
        object.__setattr__(self, "noise_std", noise)
        object.__setattr__(self, "activations", activations)
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "estimators", estimators)
        object.__setattr__(self, "optional", tuple(str(name) for name in self.optional))
        object.__setattr__(self, "hidden", hidden)
        self.logged_epochs()  # validates the log spec

    def logged_epochs(self) -> np.ndarray:
        """The epochs at which every layer is recorded (the exact planes use all of them)."""
        from mibench.networks.training import log_epochs

        return log_epochs(self.epochs, self.log_mode, count=self.log_count, every=self.log_every)

    def estimated_epochs(self) -> np.ndarray:
        """The logged epochs the estimators run on (see ``estimator_epochs``)."""
        logged = self.logged_epochs()
        if self.estimator_epochs is None or self.estimator_epochs >= logged.size:
            return logged
        positions = np.unique(np.rint(np.linspace(0, logged.size - 1, self.estimator_epochs)).astype(np.int64))
        return logged[positions]

    def replace(self, **changes: Any) -> StudyConfig:
        """A copy with some settings changed."""
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
        """JSON-able form (``from_dict`` inverts it)."""
        out = dataclasses.asdict(self)
        out["activations"] = list(self.activations)
        out["seeds"] = list(self.seeds)
        out["hidden"] = None if self.hidden is None else list(self.hidden)
        out["estimators"] = [{"name": e.name, "params": dict(e.params)} for e in self.estimators]
        out["optional"] = list(self.optional)
        out["layers"] = None if self.layers is None else list(self.layers)
        return out

    def estimated_layers(self, n_layers: int) -> list[int]:
        """The layers the estimators run on, of a network with ``n_layers`` recorded layers.

        Raises:
            ValueError: ``layers`` names a layer the network does not have.
        """
        if self.layers is None:
            return list(range(1, n_layers + 1))
        missing = [layer for layer in self.layers if layer > n_layers]
        if missing:
            raise ValueError(f"layers {missing} do not exist: the network has {n_layers} (the last is the output)")
        return list(self.layers)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyConfig:
        """The configuration of a ``to_dict`` mapping (unknown keys are ignored)."""
        data = dict(data)
        data["activations"] = tuple(data["activations"])
        data["seeds"] = tuple(data["seeds"])
        data["hidden"] = None if data.get("hidden") is None else tuple(data["hidden"])
        data["estimators"] = tuple(estimator_spec(e) for e in data.get("estimators", ()))
        data["optional"] = tuple(data.get("optional", ()))
        data["layers"] = None if data.get("layers") is None else tuple(data["layers"])
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


#: The presets (see the module docstring).
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "name": "smoke",
        "seeds": (0,),
        "epochs": 8,
        "log_count": 3,
        "estimator_epochs": 2,
        "estimators": (EstimatorSpec("binning"), EstimatorSpec("gaussian")),
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


#: What a preset changes when it is asked with a noise level (before the explicit overrides): the noisy estimators,
#: and the epochs and layers that keep the Monte-Carlo truths and the estimators within the study's time.
NOISY_PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "estimators": (EstimatorSpec("binning"), EstimatorSpec("kde-upper"), EstimatorSpec("gaussian-convolution")),
        "optional": _NOISY_OPTIONAL,
        "layers": (5, 6),
    },
    "default": {"estimators": NOISY_ESTIMATORS, "optional": _NOISY_OPTIONAL, "estimator_epochs": 6},
    "paper": {"estimators": NOISY_ESTIMATORS, "optional": _NOISY_OPTIONAL, "estimator_epochs": 40},
}


def preset(name: str, **overrides: Any) -> StudyConfig:
    """The :class:`StudyConfig` of a preset (``"smoke"``, ``"default"``, ``"paper"``) with ``overrides`` applied
    (``None`` values are ignored). With a ``noise_std`` the preset's :data:`NOISY_PRESETS` settings come first."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    settings = dict(PRESETS[name])
    if overrides.get("noise_std") is not None:
        settings.update(NOISY_PRESETS[name])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return StudyConfig(**settings)
