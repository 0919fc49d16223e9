"""Parameter checks shared across mibench (task families, estimators, networks): one wording for every
"must be ... got ..." error."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_int", "check_positive", "check_real"]


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
    return check_real(name, value, 0.0, low_open=True)


def check_real(
    name: str,
    value: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float in the interval from ``low`` to ``high`` (closed at an end unless that end is
    ``*_open``; an infinite end only says the side is unbounded); booleans and non-numbers are refused.

    Raises:
        ValueError: naming the parameter and its valid interval, e.g. ``rho must be a finite number in (-1, 1),
            got 1.0``.
    """
    numeric = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if not (
        numeric
        and math.isfinite(value)
        and (low < value if low_open else low <= value)
        and (value < high if high_open else value <= high)
    ):
        if math.isinf(low) and math.isinf(high):
            valid = "a finite number"
        elif math.isinf(high):
            valid = f"a finite number {'>' if low_open else '>='} {low:g}"
        elif math.isinf(low):
            valid = f"a finite number {'<' if high_open else '<='} {high:g}"
        else:
            valid = f"a finite number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be {valid}, got {value!r}")
    return float(value)
