"""Exact rescaling of data whose magnitude would overflow or underflow the estimators' arithmetic.

Estimators square differences (Euclidean distances, variances, kernels): with values near ``1e200`` the squares
overflow to ``inf`` (NaN estimates, or a bandwidth of ``inf``), and near ``1e-200`` they underflow to 0 (false
ties, "constant" columns). MI does not change when a variable is rescaled, so such data are brought back to a safe
range first, by a power of two: multiplying by ``2**-e`` is exact in binary floating point (every bit of every
value is kept, unless a value is some ``2**1000`` times smaller than the largest one), and the estimators'
arithmetic commutes with it up to the rounding of logarithms.

Data whose largest magnitude already lies in ``[2**-SAFE_EXPONENT, 2**SAFE_EXPONENT]`` are returned as they are
(the same array objects), so the estimates of data in any ordinary range are bit for bit what they were without
this step. In that range squares of values, and of the smallest non-zero differences between them (about
``2**-52`` of the magnitude), stay far from float64's limits, also when summed over thousands of dimensions.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SAFE_EXPONENT", "exponent_to_rescale", "rescale_columns", "rescale_jointly"]

#: Data whose largest |value| lies within ``2**-SAFE_EXPONENT .. 2**SAFE_EXPONENT`` (about 1e-77 .. 1e77) are
#: used as they are.
SAFE_EXPONENT = 256


def exponent_to_rescale(largest: float) -> int:
    """The ``e`` such that ``largest * 2**-e`` lies in ``[0.5, 1)``, or 0 when ``largest`` (a largest |value|) is
    0 or already within the safe range."""
    if largest == 0 or 2.0**-SAFE_EXPONENT <= largest <= 2.0**SAFE_EXPONENT:
        return 0
    return math.frexp(largest)[1]


def rescale_columns(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rescaled, exponents)``: each column of the 2-D float ``data`` times ``2**-e`` of its own exponent (see
    :func:`exponent_to_rescale`); ``data`` itself when every exponent is 0.

    For estimators invariant to rescaling each column (the Gaussian estimator; KDE, which standardises columns).
    """
    largest = np.max(np.abs(data), axis=0) if data.shape[0] else np.zeros(data.shape[1])
    exponents = np.array([exponent_to_rescale(float(m)) for m in largest], dtype=np.int64)
    if not exponents.any():
        return data, exponents
    return np.ldexp(data, -exponents), exponents


def rescale_jointly(*arrays: np.ndarray) -> tuple[tuple[np.ndarray, ...], int]:
    """``(rescaled arrays, e)``: every array times the one factor ``2**-e`` set by the largest |value| of them all
    (see :func:`exponent_to_rescale`); the arrays themselves when ``e`` is 0.

    For estimators invariant only to scaling all coordinates alike (k-NN estimators with Euclidean distances on
    the joint sample).
    """
    largest = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    e = exponent_to_rescale(largest)
    if e == 0:
        return arrays, 0
    return tuple(np.ldexp(a, -e) for a in arrays), e
