"""A sample and the extreme scales at which every estimator must give the estimate of the unscaled sample.

MI does not change when x and y are multiplied by constants. Multiplying by a power of two is exact in float64, and
each column of :func:`unit_sample` has its largest |value| in [0.5, 1), so an estimator that brings extreme data
back to that range by a power of two sees exactly the unscaled sample: its estimate must then be the very same
number. ``1e200`` and ``1e-200`` are not powers of two (the product is rounded, about 1e-16 relative per value),
so there the estimate only has to agree to :data:`ROUNDED_RTOL`.
"""

from __future__ import annotations

import math

import numpy as np

#: Powers of two far beyond the range where squares overflow (2**600) or underflow (2**-600).
EXACT_SCALES = (2.0**600, 2.0**-600)
#: Decimal scales: products rounded once per value.
ROUNDED_SCALES = (1e200, 1e-200)
#: Relative tolerance at :data:`ROUNDED_SCALES`: far above rounding (1e-16 per value, a few per distance or
#: kernel term), far below any statistical difference.
ROUNDED_RTOL = 1e-9


def unit_sample(n: int = 400, dx: int = 2, dy: int = 2, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Correlated Gaussian (x, y), each column divided by a power of two so that its largest |value| is in
    [0.5, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dx))
    y = x[:, :1] @ np.ones((1, dy)) * 0.8 + 0.6 * rng.standard_normal((n, dy))

    def unit(a: np.ndarray) -> np.ndarray:
        exponents = [math.frexp(float(m))[1] for m in np.max(np.abs(a), axis=0)]
        return np.ldexp(a, -np.array(exponents))

    return unit(x), unit(y)


def assert_same_estimate(scaled: float, unscaled: float, scale: float) -> None:
    """Exactly equal at a power-of-two scale, to :data:`ROUNDED_RTOL` at a decimal one."""
    assert math.isfinite(scaled), f"scale {scale:g}: {scaled}"
    if scale in EXACT_SCALES:
        assert scaled == unscaled, f"scale {scale:g}: {scaled!r} != {unscaled!r}"
    else:
        assert math.isclose(scaled, unscaled, rel_tol=ROUNDED_RTOL), f"scale {scale:g}: {scaled!r} vs {unscaled!r}"
