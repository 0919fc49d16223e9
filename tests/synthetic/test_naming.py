"""Task-id numbers: the shortest decimal that reads back as the same float, without a trailing ".0"."""

from __future__ import annotations

import numpy as np
import pytest

from mibench.synthetic.naming import format_number


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1"), (0.75, "0.75"), (2.5, "2.5"), (0, "0"), (10, "10"), (-0.5, "-0.5"), (1e-3, "0.001"), (0.1, "0.1")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_numbers_round_trip_and_spellings_agree() -> None:
    for value in [*np.random.default_rng(0).uniform(-10, 10, 200).tolist(), 1 / 3, 2 / 3, 0.1 + 0.2]:
        assert float(format_number(value)) == value
    assert format_number(np.float64(0.75)) == format_number(0.75) == format_number(np.float32(0.75))
    assert format_number(np.int64(3)) == format_number(3.0) == "3"
