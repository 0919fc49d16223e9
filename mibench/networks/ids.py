"""Network task ids: built and split without a training record (so suites can list them without training).

Form (see :mod:`~mibench.networks.tasks` for what each task is)::

    {record name}-e{epoch}-l{layer}-{xt|ty}            a quantized layer, exact truth
    {record name}-e{epoch}-l{layer}-{xt|ty}-codes      the same, the layer as integer codes
    {record name}-e{epoch}-l{layer}-{xt|ty}-b{noise}   the layer read through Gaussian noise of std ``noise``

e.g. ``net-12bit-tanh-s0-e100-l6-xt`` and ``net-12bit-tanh-s0-e100-l6-xt-b0.01``. The record name
(:attr:`~mibench.networks.training.TrainingRecord.name`) starts with ``net-`` and depends only on the training
settings, never on the trained weights: the record's digest goes into a task's version, not its id. The noise level
is written in plain positional notation without trailing zeros (:func:`format_noise`: ``0.01``, ``0.1``, ``0.005``),
so one level has one spelling.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

__all__ = [
    "ID_PATTERN",
    "NOISE_LEVELS",
    "PAIRS",
    "REPRESENTATIONS",
    "check_noise",
    "format_noise",
    "is_noisy_task_id",
    "parse_task_id",
    "task_id",
]

PAIRS = ("xt", "ty")
REPRESENTATIONS = ("values", "codes")
#: The noise levels of the noisy-network tasks (Goldfeld et al. used 0.005 to 0.1); any positive level works.
NOISE_LEVELS = (0.005, 0.01, 0.05, 0.1)

#: ``{record name}-e{epoch}-l{layer}-{xt|ty}[-codes|-b{noise}]``; the record name starts with ``net-``.
ID_PATTERN = re.compile(
    r"^(?P<record>net-[A-Za-z0-9._-]+?)-e(?P<epoch>\d+)-l(?P<layer>\d+)-(?P<pair>xt|ty)"
    r"(?:(?P<codes>-codes)|-b(?P<noise>\d+(?:\.\d+)?))?$"
)


def check_noise(noise_std: Any) -> float:
    """``noise_std`` as a float, if it is a finite positive number.

    Raises:
        ValueError: anything else (booleans, strings, zero, negatives, NaN, infinity).
    """
    if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float, np.integer, np.floating)):
        raise ValueError(f"a noise level must be a positive number, got {noise_std!r}")
    value = float(noise_std)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"a noise level must be a finite positive number, got {noise_std!r}")
    return value


def format_noise(noise_std: float) -> str:
    """The one spelling of a noise level in ids and cache keys: positional, no trailing zeros (``0.01``, ``0.1``,
    ``0.0001``; never ``1e-04``)."""
    return np.format_float_positional(check_noise(noise_std), trim="-")


def task_id(
    record_name: str,
    epoch: int,
    layer: int,
    pair: str,
    representation: str = "values",
    noise_std: float | None = None,
) -> str:
    """The id of a network task (see the module docstring), without building the task.

    Raises:
        ValueError: an unknown pair or representation, a noise level on the codes representation, or a noise level
            that is not a positive number.
    """
    if pair not in PAIRS:
        raise ValueError(f"pair must be one of {PAIRS}, got {pair!r}")
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation must be one of {REPRESENTATIONS}, got {representation!r}")
    base = f"{record_name}-e{int(epoch)}-l{int(layer)}-{pair}"
    if noise_std is not None:
        if representation != "values":
            raise ValueError("a noisy task reads the layer's values: representation must be 'values'")
        return f"{base}-b{format_noise(noise_std)}"
    return base + ("-codes" if representation == "codes" else "")


def parse_task_id(task_id: str) -> dict[str, Any] | None:
    """Split a network task id into ``record`` (the record's name), ``epoch``, ``layer``, ``pair``,
    ``representation`` and ``noise_std`` (``None`` for a quantized task); ``None`` if the id is not of this form.

    A resolver keyed by record name (a directory of ``{record name}.npz`` files) can then rebuild the task in a worker
    (:func:`mibench.networks.tasks.task_from_id`). The noise level is read as written; a task is found only under
    its canonical spelling (:func:`format_noise`).
    """
    match = ID_PATTERN.match(task_id)
    if match is None:
        return None
    noise = match["noise"]
    return {
        "record": match["record"],
        "epoch": int(match["epoch"]),
        "layer": int(match["layer"]),
        "pair": match["pair"],
        "representation": "codes" if match["codes"] else "values",
        "noise_std": None if noise is None else float(noise),
    }


def is_noisy_task_id(task_id: str) -> bool:
    """Whether ``task_id`` names a noisy-network task (a layer read through Gaussian noise)."""
    parts = parse_task_id(task_id)
    return parts is not None and parts["noise_std"] is not None
