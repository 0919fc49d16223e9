"""Network task ids: quantized, codes and noisy ids built and split without a record; one spelling per noise level."""

from __future__ import annotations

import pytest

from mibench.networks.ids import (
    NOISE_LEVELS,
    check_noise,
    format_noise,
    is_noisy_task_id,
    parse_task_id,
    task_id,
)


def test_noise_levels_have_one_plain_spelling() -> None:
    assert [format_noise(b) for b in NOISE_LEVELS] == ["0.005", "0.01", "0.05", "0.1"]
    assert format_noise(1e-4) == "0.0001" and format_noise(2) == "2" and format_noise(0.30) == "0.3"
    for bad in (0, -0.1, float("nan"), float("inf"), True, "0.1", None):
        with pytest.raises(ValueError, match="noise level"):
            check_noise(bad)


@pytest.mark.parametrize("noise", [*NOISE_LEVELS, 1e-4, 0.5, 3.0])
@pytest.mark.parametrize("pair", ["xt", "ty"])
def test_noisy_ids_round_trip(noise: float, pair: str) -> None:
    tid = task_id("net-12bit-tanh-s0", 100, 6, pair, noise_std=noise)
    assert tid == f"net-12bit-tanh-s0-e100-l6-{pair}-b{format_noise(noise)}"
    assert parse_task_id(tid) == {
        "record": "net-12bit-tanh-s0",
        "epoch": 100,
        "layer": 6,
        "pair": pair,
        "representation": "values",
        "noise_std": noise,
    }
    assert is_noisy_task_id(tid)
    parts = parse_task_id(tid)
    assert task_id(parts["record"], parts["epoch"], parts["layer"], parts["pair"], noise_std=parts["noise_std"]) == tid


def test_quantized_ids_keep_their_form() -> None:
    assert task_id("net-12bit-tanh-s0", 100, 6, "xt") == "net-12bit-tanh-s0-e100-l6-xt"
    assert task_id("net-12bit-tanh-s0", 0, 1, "ty", "codes") == "net-12bit-tanh-s0-e0-l1-ty-codes"
    # a record name that contains -b{bits}: the noise suffix only ever follows the pair
    assert parse_task_id("net-toy-relu-w3-b4-s1-e10-l2-ty-codes") == {
        "record": "net-toy-relu-w3-b4-s1",
        "epoch": 10,
        "layer": 2,
        "pair": "ty",
        "representation": "codes",
        "noise_std": None,
    }
    assert parse_task_id("net-toy-relu-w3-b4-s1-e10-l2-ty-b0.05")["record"] == "net-toy-relu-w3-b4-s1"
    assert not is_noisy_task_id("net-12bit-tanh-s0-e100-l6-xt")
    for other in ("gaussian-pairs-1x1-rho0.5", "net-x-e1-l1-xt-codes-b0.1", "net-x-e1-l1-xt-b", "net-x-e1-l1-xt-b-1"):
        assert parse_task_id(other) is None


def test_bad_id_parts_are_refused() -> None:
    with pytest.raises(ValueError, match="pair"):
        task_id("net-a-s0", 1, 1, "xy")
    with pytest.raises(ValueError, match="representation"):
        task_id("net-a-s0", 1, 1, "xt", "bits")
    with pytest.raises(ValueError, match="values"):
        task_id("net-a-s0", 1, 1, "xt", "codes", noise_std=0.1)
    with pytest.raises(ValueError, match="noise level"):
        task_id("net-a-s0", 1, 1, "xt", noise_std=0.0)
