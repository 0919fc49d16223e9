"""Parameter checks shared across mibench (task families, estimators, networks): one wording for every
"must be ... got ..." error."""

from __future__ import annotations

import math

import numpy as np


def check_int(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (``high`` None: no upper bound); booleans are refused.

    Raises:
        ValueError: naming the parameter and its valid range.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < low
        or (high is not None and value > high)
    ):
        valid = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise ValueError(f"{name} must be {valid}, got {value!r}")
    return int(value)


def check_positive(name: str, value: object) -> float:
    """``value`` as a finite float > 0 (booleans and non-numbers refused).

    Raises:
        ValueError: naming the parameter and its valid range.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)
