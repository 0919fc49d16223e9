"""Fake quantization: the grid (against an independent numpy transcription of TF's rule), bit exactness, the
straight-through gradient, the range rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mibench.networks.quantization import (
    BatchRange,
    FixedRange,
    MovingAverageRange,
    fake_quantize,
    make_range,
    nudged_grid,
)


def _tf_reference(x: np.ndarray, lo: float, hi: float, bits: int) -> np.ndarray:
    """TF's fake_quant_with_min_max_vars (narrow_range=False) written out independently, float64."""
    quant_max = 2.0**bits - 1
    scale = (hi - lo) / quant_max
    zero_point_from_min = -lo / scale
    if zero_point_from_min < 0:
        nudged_zero = 0.0
    elif zero_point_from_min > quant_max:
        nudged_zero = quant_max
    else:
        nudged_zero = math.floor(zero_point_from_min + 0.5)  # std::round for non-negative values
    nudged_min, nudged_max = -nudged_zero * scale, (quant_max - nudged_zero) * scale
    clamped = np.clip(x, nudged_min, nudged_max)
    codes = np.floor((clamped - nudged_min) / scale + 0.5)
    return (codes - nudged_zero) * scale


RANGES = [(-6.0, 6.0), (-1.0, 1.0), (-0.3, 2.7), (0.0, 1.0), (-5.0, 0.0), (1.0, 2.0), (-2.0, -1.0), (-1e-3, 4e-3)]


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_values_on_grid_with_zero_representable(bits, lo, hi):
    rng = np.random.default_rng(bits)
    x = rng.uniform(lo - 1.0, hi + 1.0, size=5000)
    x[:3] = [0.0, lo, hi]
    q = fake_quantize(torch.tensor(x), lo, hi, bits).numpy()
    grid = nudged_grid(lo, hi, bits)
    values = grid.values()
    assert values[grid.zero_point] == 0.0 and np.sum(values == 0.0) == 1
    assert q[0] == 0.0  # 0 maps to exactly 0
    assert np.unique(q).size <= 2**bits
    assert np.all(np.isin(q, values))  # every output is exactly a grid value
    np.testing.assert_array_equal(q, _tf_reference(x, lo, hi, bits))
    assert grid.lo <= 0.0 <= grid.hi
    assert math.isclose(grid.hi - grid.lo, hi - lo, rel_tol=1e-12)


def test_known_tf_grid_for_minus_six_to_six():
    grid = nudged_grid(-6.0, 6.0, 8)
    assert grid.scale == pytest.approx(12 / 255) and grid.zero_point == 128
    assert grid.lo == pytest.approx(-128 * 12 / 255) and grid.hi == pytest.approx(127 * 12 / 255)
    assert nudged_grid(1.0, 2.0, 8).zero_point == 0  # range shifted to [0, 1]
    assert nudged_grid(-2.0, -1.0, 8).zero_point == 255  # range shifted to [-1, 0]
    assert nudged_grid(0.0, 0.0, 8).scale == pytest.approx(1 / 255)  # degenerate range guarded
    assert nudged_grid(2.0, 2.0, 4).hi == pytest.approx(2.0)


def test_bit_exact_and_deterministic_in_float32():
    x = torch.linspace(-7.0, 7.0, 10001, dtype=torch.float32)
    first = fake_quantize(x, -6.0, 6.0, 8)
    second = fake_quantize(x.clone(), -6.0, 6.0, 8)
    assert first.dtype == torch.float32
    assert torch.equal(first, second)
    grid = nudged_grid(-6.0, 6.0, 8)
    levels = (torch.arange(256) - grid.zero_point).to(torch.float32) * grid.scale
    assert torch.equal(first.unique(), levels)  # exactly the 256 float32 grid values
    np.testing.assert_allclose(levels.double().numpy(), grid.values(), rtol=1e-7, atol=0)
    assert first.unique().numel() == 256  # the range overflows on both sides: every level is used


def test_straight_through_gradient_is_identity_inside_the_range():
    x = torch.tensor([-9.0, -6.1, -3.3, -0.01, 0.0, 0.4, 2.2, 5.9, 6.5, 100.0], dtype=torch.float64, requires_grad=True)
    grid = nudged_grid(-6.0, 6.0, 8)
    q = fake_quantize(x, -6.0, 6.0, 8)
    assert torch.equal(q.detach(), fake_quantize(x.detach(), -6.0, 6.0, 8))  # the STE does not change values
    (q * torch.arange(1.0, 11.0, dtype=torch.float64)).sum().backward()
    inside = (x.detach() >= grid.lo) & (x.detach() <= grid.hi)
    expected = torch.where(inside, torch.arange(1.0, 11.0, dtype=torch.float64), torch.zeros(10, dtype=torch.float64))
    assert torch.equal(x.grad, expected)


def test_thirty_two_bits_means_no_quantization():
    x = torch.randn(100, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert fake_quantize(x, -1.0, 1.0, 32) is x
    with pytest.raises(ValueError, match="no grid"):
        nudged_grid(-1.0, 1.0, 32)
    with pytest.raises(ValueError, match="bits"):
        fake_quantize(x, -1.0, 1.0, 1)
    with pytest.raises(ValueError, match="bits"):
        nudged_grid(-1.0, 1.0, 24)


def test_moving_average_range_updates_only_in_training():
    rule = MovingAverageRange()
    assert (rule.lo, rule.hi) == (-6.0, 6.0)
    batch = torch.tensor([0.5, 2.0, 1.0])
    assert rule(batch, training=False) == (-6.0, 6.0)
    lo, hi = rule(batch, training=True)
    assert lo == pytest.approx(-6.0 + 0.001 * 6.0)  # batch min clipped to 0: lo -> lo - 0.001 (lo - 0)
    assert hi == pytest.approx(6.0 - 0.001 * (6.0 - 2.0))
    assert rule(batch, training=False) == (lo, hi)
    for _ in range(20000):
        rule(batch, training=True)
    assert rule.lo == pytest.approx(0.0, abs=1e-6) and rule.hi == pytest.approx(2.0, abs=1e-6)
    assert rule.state()["rule"] == "moving_average"


def test_batch_and_fixed_ranges():
    x = torch.tensor([0.2, 0.9, 0.4])
    assert BatchRange()(x, training=False) == pytest.approx((0.2, 0.9))
    assert BatchRange(include_zero=True)(x, training=True) == pytest.approx((0.0, 0.9))
    assert FixedRange(-1.0, 1.0)(x, training=True) == (-1.0, 1.0)
    assert isinstance(make_range("fixed", lo=-1.0, hi=1.0), FixedRange)
    assert isinstance(make_range("batch"), BatchRange)
    with pytest.raises(ValueError, match="unknown range rule"):
        make_range("ema")
