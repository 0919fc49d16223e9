"""Peak resident memory of a block of code, measured in the process that runs it.

On Linux the kernel keeps the process's high-water mark of resident memory (``VmHWM`` in
``/proc/self/status``); writing ``5`` to ``/proc/self/clear_refs`` resets it to the current RSS (Linux >= 4.0,
see ``man 5 proc``). So ``peak during the block - RSS at its start`` is the block's extra peak memory, whatever
allocated it (numpy, torch's C++ allocator, BLAS) -- unlike ``tracemalloc``, which sees Python-level allocations
only. Where this is unavailable the measurement is ``None`` (reported as missing, never guessed).
"""

from __future__ import annotations

from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _read_kb(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Context manager: ``with PeakMemory() as m: ...`` then ``m.peak_mb`` (extra peak RSS in MiB, or None)."""

    def __init__(self) -> None:
        self.peak_mb: float | None = None
        self._start_kb: int | None = None

    def __enter__(self) -> PeakMemory:
        try:
            _CLEAR_REFS.write_text("5")
        except OSError:
            self._start_kb = None
            return self
        self._start_kb = _read_kb("VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start_kb is None:
            return
        peak_kb = _read_kb("VmHWM")
        if peak_kb is not None:
            self.peak_mb = max(0, peak_kb - self._start_kb) / 1024.0
