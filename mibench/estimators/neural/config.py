"""Hyperparameters of the neural estimators: one validated, frozen configuration (no torch here).

Estimators store their keyword hyperparameters verbatim; :func:`make_config` validates them when an estimate
starts and raises ``ValueError`` naming the offending hyperparameter. Checks that need the sample (batch size
<= training rows, enough rows for the split) and torch (is the device available) happen in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mibench.validation import check_int, check_positive, check_real

__all__ = ["ACTIVATIONS", "AUTO_BATCH_SIZE", "CRITICS", "OBJECTIVES", "NeuralConfig", "make_config"]

OBJECTIVES = ("mine", "dv", "nwj", "infonce", "smile")
CRITICS = ("separable", "joint")
ACTIVATIONS = ("relu", "elu", "gelu", "tanh", "softplus")

#: ``batch_size="auto"`` uses this many rows per batch, or all training rows when there are fewer.
AUTO_BATCH_SIZE = 128

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass(frozen=True)
class NeuralConfig:
    """A validated set of hyperparameters (see :class:`mibench.estimators.neural.NeuralMI` for their meaning)."""

    objective: str
    critic: str
    hidden: tuple[int, ...]
    embed_dim: int
    activation: str
    learning_rate: float
    batch_size: int | None  # None: "auto"
    negatives: int | None  # None: "all"
    max_steps: int
    eval_every: int
    patience: int | None
    validation_fraction: float
    test_fraction: float
    standardize: bool
    seed: int | None
    device: str
    ema_rate: float
    clip: float
    threads: int | None = None


def _name(owner: str, param: str) -> str:
    return f"{owner}: {param}"


def _choice(owner: str, param: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{_name(owner, param)}: unknown value {value!r}; choose one of {', '.join(choices)}")
    return value


def make_config(owner: str, params: Mapping[str, Any], *, objective: str | None = None) -> NeuralConfig:
    """Validate an estimator's stored hyperparameters (``owner`` names the estimator in messages)."""
    p = dict(params)
    objective = _choice(owner, "objective", objective if objective is not None else p.get("objective"), OBJECTIVES)
    critic = _choice(owner, "critic", p["critic"], CRITICS)

    hidden = p["hidden"]
    if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
        raise ValueError(
            f"{_name(owner, 'hidden')} must be a sequence of positive integers (hidden layer sizes, e.g. [64, 64]; "
            f"[] for a linear critic), got {hidden!r}"
        )
    try:
        hidden_sizes = tuple(check_int("a hidden layer size", size) for size in hidden)
    except ValueError:
        raise ValueError(
            f"{_name(owner, 'hidden')} must be a sequence of positive integers (hidden layer sizes), got {hidden!r}"
        ) from None

    embed_dim = check_int(_name(owner, "embed_dim"), p["embed_dim"])
    activation = _choice(owner, "activation", p["activation"], ACTIVATIONS)

    learning_rate = check_positive(_name(owner, "learning_rate"), p["learning_rate"])

    batch_size = p["batch_size"]
    batch = None if batch_size == "auto" else check_int(_name(owner, "batch_size") + " (or 'auto')", batch_size, 2)

    negatives = p["negatives"]
    if negatives == "all":
        neg = None
    else:
        neg = check_int(_name(owner, "negatives") + " (or 'all': every other sample of the batch)", negatives, 1)
        if batch is not None and neg > batch - 1:
            raise ValueError(
                f"{_name(owner, 'negatives')}={neg} needs batch_size >= negatives + 1, got batch_size={batch}"
            )

    max_steps = check_int(_name(owner, "max_steps"), p["max_steps"])
    eval_every = check_int(_name(owner, "eval_every"), p["eval_every"])
    patience = None if p["patience"] is None else check_int(_name(owner, "patience"), p["patience"])

    fractions = {
        param: check_real(_name(owner, param), p[param], 0.0, 1.0, low_open=True, high_open=True)
        for param in ("validation_fraction", "test_fraction")
    }
    if sum(fractions.values()) >= 1:
        raise ValueError(
            f"{_name(owner, 'validation_fraction')} + test_fraction must be < 1 (the rest trains the critic), "
            f"got {fractions['validation_fraction']} + {fractions['test_fraction']}"
        )

    if not isinstance(p["standardize"], bool):
        raise ValueError(f"{_name(owner, 'standardize')} must be True or False, got {p['standardize']!r}")

    seed = p["seed"]
    if seed is not None:
        seed = check_int(_name(owner, "seed"), seed, 0)

    device = p["device"]
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise ValueError(
            f"{_name(owner, 'device')}: unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
        )

    threads = p.get("threads")
    if threads is not None:
        threads = check_int(_name(owner, "threads"), threads)

    ema_rate = check_real(_name(owner, "ema_rate"), p.get("ema_rate", 0.01), 0.0, 1.0, low_open=True)
    clip = check_positive(_name(owner, "clip"), p.get("clip", 5.0))

    return NeuralConfig(
        objective=objective,
        critic=critic,
        hidden=hidden_sizes,
        embed_dim=embed_dim,
        activation=activation,
        learning_rate=learning_rate,
        batch_size=batch,
        negatives=neg,
        max_steps=max_steps,
        eval_every=eval_every,
        patience=patience,
        validation_fraction=fractions["validation_fraction"],
        test_fraction=fractions["test_fraction"],
        standardize=p["standardize"],
        seed=seed,
        device=device,
        ema_rate=ema_rate,
        clip=clip,
        threads=threads,
    )
