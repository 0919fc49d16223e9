"""Units of information. mibench computes in nats; bits appear only on display, labelled."""

from __future__ import annotations

import math

__all__ = ["NATS_PER_BIT", "bits_to_nats", "nats_to_bits"]

#: One bit is ``ln 2`` nats.
NATS_PER_BIT = math.log(2.0)


def nats_to_bits(value: float) -> float:
    """``value`` nats in bits (works elementwise on numpy arrays and pandas columns too)."""
    return value / NATS_PER_BIT


def bits_to_nats(value: float) -> float:
    """``value`` bits in nats (elementwise on arrays too)."""
    return value * NATS_PER_BIT
