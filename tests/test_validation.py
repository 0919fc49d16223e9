"""The shared parameter checks: one wording ("NAME must be ..., got VALUE") for every parameter error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mibench.validation import check_int, check_positive, check_real


def test_check_int_accepts_python_and_numpy_integers_and_returns_python_ints() -> None:
    for value in (1, 7, np.int64(7), np.int32(7), np.uint8(7)):
        result = check_int("k", value)
        assert result == int(value) and type(result) is int
    assert check_int("m", 2, 2) == 2
    assert check_int("layer", 5, 1, 5) == 5
    assert check_int("seed", 0, 0) == 0


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 1.0, 2.5, "3", None, [1], np.float64(3.0)])
def test_check_int_refuses_booleans_and_non_integers(value: object) -> None:
    with pytest.raises(ValueError, match=r"^k must be an integer >= 0, got "):
        check_int("k", value, 0)


def test_check_int_ranges_and_messages() -> None:
    with pytest.raises(ValueError) as info:
        check_int("k", 0)
    assert str(info.value) == "k must be an integer >= 1, got 0"
    with pytest.raises(ValueError) as info:
        check_int("n_pairs", 4, 1, 3)
    assert str(info.value) == "n_pairs must be an integer in [1, 3], got 4"
    with pytest.raises(ValueError, match=r"in \[1, 3\], got 0"):
        check_int("n_pairs", 0, 1, 3)
    with pytest.raises(ValueError, match=r"got np\.int64\(-2\)|got -2"):
        check_int("seed", np.int64(-2), 0)


def test_check_positive() -> None:
    for value in (1, 0.5, np.float32(0.25), np.int64(3), 1e-300):
        result = check_positive("width", value)
        assert result == float(value) and type(result) is float
    for value in (0, 0.0, -1, math.inf, math.nan, True, "1", None, np.bool_(True)):
        with pytest.raises(ValueError, match=r"^width must be a finite number > 0, got "):
            check_positive("width", value)
    with pytest.raises(ValueError) as info:
        check_positive("sigma", -0.5)
    assert str(info.value) == "sigma must be a finite number > 0, got -0.5"


def test_check_real_intervals() -> None:
    assert check_real("rho", 0.5, -1, 1, low_open=True, high_open=True) == 0.5
    assert check_real("p", 0, 0, 1) == 0.0 and check_real("p", 1, 0, 1) == 1.0
    assert check_real("x", np.float64(-1e300)) == -1e300
    cases = [
        (("rho", 1.0, -1, 1), {"low_open": True, "high_open": True}, "rho must be a finite number in (-1, 1), got 1.0"),
        (("p", 1.5, 0, 1), {}, "p must be a finite number in [0, 1], got 1.5"),
        (("rate", 0.0, 0, 1), {"low_open": True}, "rate must be a finite number in (0, 1], got 0.0"),
        (("width", 0.01, 0.1), {}, "width must be a finite number >= 0.1, got 0.01"),
        (("t", 3, -math.inf, 2), {"high_open": True}, "t must be a finite number < 2, got 3"),
        (("x", math.inf), {}, "x must be a finite number, got inf"),
        (("x", math.nan), {}, "x must be a finite number, got nan"),
        (("x", True), {}, "x must be a finite number, got True"),
        (("x", "0.5"), {}, "x must be a finite number, got '0.5'"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(ValueError) as info:
            check_real(*args, **kwargs)
        assert str(info.value) == message
