"""Uniform asymmetric fake quantization with straight-through gradients, and the range rules that feed it.

The grid (TensorFlow's ``fake_quant_with_min_max_vars`` with ``narrow_range=False``, as used by TF/TFLite
quantization-aware training; Jacob et al., "Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference", CVPR 2018). For ``b`` bits and a range ``[lo, hi]``::

    scale      = (hi - lo) / (2^b - 1)
    zero_point = clamp(round(-lo / scale), 0, 2^b - 1)          (round half away from zero, as std::round)
    code(x)    = floor((clamp(x, lo', hi') - lo') / scale + 1/2) in {0, ..., 2^b - 1}
    q(x)       = (code(x) - zero_point) * scale

with the *nudged* range ``lo' = -zero_point * scale``, ``hi' = (2^b - 1 - zero_point) * scale``: the range is
shifted by less than one step so that 0 is exactly representable (``code = zero_point`` gives exactly 0.0). A
range not containing 0 is shifted until it does (TF's behaviour). So ``q`` takes at most ``2^b`` values, all on
the grid ``{(k - zero_point) * scale}``. A degenerate range (``hi == lo``) is widened to ``[min(lo, 0),
max(hi, 0)]`` and, if still empty, to ``[0, 1]`` (a guard; TF divides by zero there).

``b = 32`` means *no quantization*: :func:`fake_quantize` returns its input unchanged (the float network of the
paper's appendix). Exact information of a float network then counts distinct floating-point vectors; it is exact
for the computation as performed but not robust to rounding, and not the paper's quantized setting.

Straight-through estimator (Bengio et al. 2013; TF's ``FakeQuantWithMinMaxVarsGradient``): the gradient of
``q(x)`` with respect to ``x`` is 1 where ``lo' <= x <= hi'`` and 0 outside; ranges receive no gradient (they are
statistics, not parameters). It is written as ``q + (x - x.detach()) * inside`` whose value is exactly ``q``.

Range rules (Lorenzen, Igel & Nielsen, ICLR 2022, following TF's quantization-aware training):

* :class:`MovingAverageRange` -- **the paper's rule for ReLU and softmax activations**: a range initialised to
  ``[-6, 6]`` and, at each training step, moved towards the batch range ``[min(batch min, 0), max(batch max, 0)]``
  by ``r <- r - (1 - decay) (r - batch)`` with ``decay = 0.999`` (TF's ``MovingAverageQuantizer``); evaluation
  uses the stored range, unchanged.
* :class:`BatchRange` -- the current tensor's own ``[min, max]``: **the paper's rule for tanh activations**
  (``include_zero=False``; at evaluation on the whole data set, the range is the data set's), and, with
  ``include_zero=True``, **the paper's rule for the weights of ReLU/softmax layers** (per-tensor asymmetric
  over the weights' own min/max; TF's ``LastValueQuantizer``).
* :class:`FixedRange` -- a constant range such as ``[-1, 1]`` for tanh: an alternative, not the paper's default.

tanh layers' weights are not quantized (the paper's code); see :mod:`mibench.networks.model`.

torch is imported inside the functions that need it, so importing this module does not import torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "SUPPORTED_BITS",
    "BatchRange",
    "FixedRange",
    "Grid",
    "MovingAverageRange",
    "RangeRule",
    "fake_quantize",
    "make_range",
    "nudged_grid",
    "quantize_codes",
]

#: Bit widths offered: 8 (the paper's default), 4 (its appendix) and 32 (no quantization).
SUPPORTED_BITS = (4, 8, 32)
NO_QUANTIZATION_BITS = 32


def _check_bits(bits: int) -> int:
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not (2 <= bits <= 16 or bits == 32):
        raise ValueError(
            f"bits must be an integer in 2..16 (8 default; 4 as the paper's appendix) or 32 (no "
            f"quantization), got {bits!r}"
        )
    return int(bits)


def _round_half_away(value: float) -> float:
    return math.copysign(math.floor(abs(value) + 0.5), value)


@dataclass(frozen=True)
class Grid:
    """The nudged quantization grid for ``bits`` bits: values ``(k - zero_point) * scale``, ``k = 0 .. 2^b - 1``."""

    bits: int
    scale: float
    zero_point: int

    @property
    def levels(self) -> int:
        """Number of grid points ``2^b``."""
        return 1 << self.bits

    @property
    def lo(self) -> float:
        """Nudged lower end ``-zero_point * scale`` (a grid point)."""
        return -self.zero_point * self.scale

    @property
    def hi(self) -> float:
        """Nudged upper end ``(2^b - 1 - zero_point) * scale`` (a grid point)."""
        return (self.levels - 1 - self.zero_point) * self.scale

    def values(self) -> np.ndarray:
        """All ``2^b`` grid values in increasing order (float64); the value at ``zero_point`` is exactly 0."""
        return (np.arange(self.levels, dtype=np.float64) - self.zero_point) * self.scale


def nudged_grid(lo: float, hi: float, bits: int = 8) -> Grid:
    """The grid of ``bits`` bits over ``[lo, hi]`` nudged so that 0 is a grid point (see the module docstring)."""
    bits = _check_bits(bits)
    if bits == NO_QUANTIZATION_BITS:
        raise ValueError("32 bits means no quantization: there is no grid")
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"quantization range must be finite with lo <= hi, got [{lo}, {hi}]")
    if hi == lo:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        if hi == lo:
            lo, hi = 0.0, 1.0
    top = (1 << bits) - 1
    scale = (hi - lo) / top
    zero_point = int(min(max(_round_half_away(-lo / scale), 0.0), float(top)))
    return Grid(bits=bits, scale=scale, zero_point=zero_point)


def quantize_codes(x: torch.Tensor, grid: Grid) -> torch.Tensor:
    """Integer codes ``floor((clamp(x, lo', hi') - lo') / scale + 1/2)`` in ``0 .. 2^b - 1`` (int64 tensor)."""
    import torch

    clamped = torch.clamp(x, grid.lo, grid.hi)
    codes = torch.floor((clamped - grid.lo) / grid.scale + 0.5)
    return torch.clamp(codes, 0, grid.levels - 1).to(torch.int64)


def fake_quantize(x: torch.Tensor, lo: float, hi: float, bits: int = 8) -> torch.Tensor:
    """``q(x)`` on the nudged grid of ``[lo, hi]`` (same dtype as ``x``), straight-through gradient inside it.

    ``bits = 32`` returns ``x`` itself (no quantization).
    """
    bits = _check_bits(bits)
    if bits == NO_QUANTIZATION_BITS:
        return x
    grid = nudged_grid(lo, hi, bits)
    codes = quantize_codes(x.detach(), grid)
    q = (codes - grid.zero_point).to(x.dtype) * grid.scale
    if not x.requires_grad:
        return q
    inside = ((x.detach() >= grid.lo) & (x.detach() <= grid.hi)).to(x.dtype)
    return q + (x - x.detach()) * inside


# --------------------------------------------------------------------------------------------------------------
# Range rules
# --------------------------------------------------------------------------------------------------------------


class RangeRule(Protocol):
    """Gives the quantization range for a tensor; may update internal state when ``training``."""

    def __call__(self, x: torch.Tensor, training: bool) -> tuple[float, float]: ...

    def state(self) -> dict[str, Any]: ...


class MovingAverageRange:
    """TF's moving-average range (the paper's rule for ReLU/softmax activations).

    Starts at ``init`` (default ``[-6, 6]``). At each training call, with ``m = min(batch min, 0)`` and
    ``M = max(batch max, 0)``: ``lo <- lo - (1 - decay)(lo - m)``, ``hi <- hi - (1 - decay)(hi - M)``, and the
    updated range quantizes the batch. At evaluation the stored range is returned unchanged. State in float64.
    """

    def __init__(self, init: tuple[float, float] = (-6.0, 6.0), decay: float = 0.999) -> None:
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"decay must be in [0, 1], got {decay!r}")
        self.init = (float(init[0]), float(init[1]))
        self.decay = float(decay)
        self.lo, self.hi = self.init

    def __call__(self, x: torch.Tensor, training: bool) -> tuple[float, float]:
        if training:
            batch_lo = min(float(x.detach().min()), 0.0)
            batch_hi = max(float(x.detach().max()), 0.0)
            self.lo -= (self.lo - batch_lo) * (1.0 - self.decay)
            self.hi -= (self.hi - batch_hi) * (1.0 - self.decay)
        return self.lo, self.hi

    def state(self) -> dict[str, Any]:
        return {"rule": "moving_average", "init": list(self.init), "decay": self.decay, "lo": self.lo, "hi": self.hi}

    def __repr__(self) -> str:
        return f"MovingAverageRange(init={self.init}, decay={self.decay}, lo={self.lo!r}, hi={self.hi!r})"


class BatchRange:
    """The current tensor's own ``[min, max]`` (training and evaluation alike; no state).

    ``include_zero=False``: the paper's tanh activation rule (the nudge then shifts a range not containing 0).
    ``include_zero=True``: ``[min(min, 0), max(max, 0)]``, the paper's rule for the weights of ReLU/softmax layers.
    """

    def __init__(self, include_zero: bool = False) -> None:
        self.include_zero = bool(include_zero)

    def __call__(self, x: torch.Tensor, training: bool) -> tuple[float, float]:
        lo, hi = float(x.detach().min()), float(x.detach().max())
        if self.include_zero:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        return lo, hi

    def state(self) -> dict[str, Any]:
        return {"rule": "batch", "include_zero": self.include_zero}

    def __repr__(self) -> str:
        return f"BatchRange(include_zero={self.include_zero})"


class FixedRange:
    """A constant range, e.g. ``[-1, 1]`` for tanh (an alternative to the paper's batch range)."""

    def __init__(self, lo: float, hi: float) -> None:
        if not lo <= hi:
            raise ValueError(f"FixedRange needs lo <= hi, got [{lo}, {hi}]")
        self.lo, self.hi = float(lo), float(hi)

    def __call__(self, x: torch.Tensor, training: bool) -> tuple[float, float]:
        return self.lo, self.hi

    def state(self) -> dict[str, Any]:
        return {"rule": "fixed", "lo": self.lo, "hi": self.hi}

    def __repr__(self) -> str:
        return f"FixedRange({self.lo!r}, {self.hi!r})"


def make_range(rule: str, **options: Any) -> RangeRule:
    """A range rule by name: ``"moving_average"`` (``init``, ``decay``), ``"batch"`` (``include_zero``) or
    ``"fixed"`` (``lo``, ``hi``)."""
    if rule == "moving_average":
        return MovingAverageRange(**options)
    if rule == "batch":
        return BatchRange(**options)
    if rule == "fixed":
        return FixedRange(**options)
    raise ValueError(f"unknown range rule {rule!r}; choose 'moving_average', 'batch' or 'fixed'")
