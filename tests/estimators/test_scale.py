"""Exact power-of-two rescaling of extreme data: ordinary data untouched (the same objects), extreme data brought
to [0.5, 1) without changing a bit of the mantissas."""

from __future__ import annotations

import numpy as np
import pytest

from mibench.estimators._scale import SAFE_EXPONENT, exponent_to_rescale, rescale_columns, rescale_jointly
from tests.estimators.scales import unit_sample


@pytest.mark.parametrize("largest", [0.0, 1.0, 3.5, 1e-70, 1e70, 2.0**SAFE_EXPONENT, 2.0**-SAFE_EXPONENT])
def test_ordinary_magnitudes_are_not_rescaled(largest: float) -> None:
    assert exponent_to_rescale(largest) == 0


@pytest.mark.parametrize("largest", [1e200, 1e-200, 2.0**600, 5e-324, 1.7e308])
def test_extreme_magnitudes_are_brought_to_half_to_one(largest: float) -> None:
    e = exponent_to_rescale(largest)
    assert e != 0 and 0.5 <= np.ldexp(largest, -e) < 1.0


def test_ordinary_data_are_returned_as_they_are() -> None:
    data = np.random.default_rng(0).standard_normal((50, 3)) * np.array([1e-60, 1.0, 1e60])
    rescaled, exponents = rescale_columns(data)
    assert rescaled is data and not exponents.any()
    (a, b), e = rescale_jointly(data, data[:, :1])
    assert a is data and b.base is data and e == 0


def test_columns_are_rescaled_each_by_its_own_power_of_two() -> None:
    data = unit_sample()[0]  # largest |value| of each column in [0.5, 1)
    extreme = data * np.array([2.0**600, 2.0**-600])
    rescaled, exponents = rescale_columns(extreme)
    assert exponents.tolist() == [600, -600]
    np.testing.assert_array_equal(rescaled, data)  # exactly the unscaled columns: nothing lost


def test_joint_rescaling_uses_one_factor() -> None:
    x = np.array([[1e200], [-3e200]])
    y = np.array([[2e199], [1e198]])
    (xs, ys), e = rescale_jointly(x, y)
    assert 0.5 <= np.abs(xs).max() < 1.0
    np.testing.assert_array_equal(np.ldexp(xs, e), x)
    np.testing.assert_array_equal(np.ldexp(ys, e), y)
