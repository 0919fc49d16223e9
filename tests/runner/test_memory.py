"""Peak-memory measurement of a block (Linux VmHWM reset via clear_refs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mibench.runner import memory
from mibench.runner.memory import PeakMemory


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_peak_memory_sees_a_numpy_allocation_freed_before_the_end():
    size_mb = 200
    with PeakMemory() as small:
        np.ones(1000)
    with PeakMemory() as big:
        block = np.ones(size_mb * 2**20 // 8)  # touched pages: resident
        del block
    assert big.peak_mb is not None and big.peak_mb >= 0.95 * size_mb
    assert small.peak_mb is not None and small.peak_mb < 0.1 * size_mb


def test_unavailable_measurement_is_none_not_a_guess(monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "_CLEAR_REFS", tmp_path / "no" / "clear_refs")
    with PeakMemory() as meter:
        np.ones(1000)
    assert meter.peak_mb is None
