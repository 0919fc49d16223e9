"""Helpers for readable, round-trippable task ids."""

from __future__ import annotations

import numpy as np


def format_number(value: float) -> str:
    """Shortest decimal that round-trips to the same float, without a trailing '.0' (1.0 -> '1', 0.75 -> '0.75')."""
    return np.format_float_positional(float(value), trim="-")
