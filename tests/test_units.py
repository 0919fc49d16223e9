"""Units of information: one bit is ln 2 nats, and the conversions work on scalars, arrays and pandas columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mibench.units import NATS_PER_BIT, bits_to_nats, nats_to_bits


def test_one_bit_is_ln_two_nats() -> None:
    assert NATS_PER_BIT == math.log(2.0)
    assert bits_to_nats(1.0) == NATS_PER_BIT
    assert nats_to_bits(NATS_PER_BIT) == 1.0
    assert nats_to_bits(math.log(8.0)) == pytest.approx(3.0, abs=1e-15)  # 8 equally likely symbols: 3 bits
    assert nats_to_bits(0.0) == 0.0 == bits_to_nats(0.0)


@pytest.mark.parametrize("value", [0.0, 1e-12, 0.413339, 1.0, 10.0, 1e6])
def test_round_trip(value: float) -> None:
    assert bits_to_nats(nats_to_bits(value)) == pytest.approx(value, rel=1e-15)
    assert nats_to_bits(bits_to_nats(value)) == pytest.approx(value, rel=1e-15)


def test_arrays_and_columns_convert_elementwise() -> None:
    nats = np.array([0.0, NATS_PER_BIT, 2 * NATS_PER_BIT, np.nan])
    bits = nats_to_bits(nats)
    assert isinstance(bits, np.ndarray) and bits.shape == nats.shape
    np.testing.assert_allclose(bits[:3], [0.0, 1.0, 2.0], rtol=1e-15)
    assert np.isnan(bits[3])  # a failed job's NaN stays NaN
    np.testing.assert_allclose(bits_to_nats(bits[:3]), nats[:3], rtol=1e-15)
    column = pd.Series([NATS_PER_BIT, 3 * NATS_PER_BIT], name="mi")
    converted = nats_to_bits(column)
    assert isinstance(converted, pd.Series) and converted.name == "mi"
    np.testing.assert_allclose(converted.to_numpy(), [1.0, 3.0], rtol=1e-15)
