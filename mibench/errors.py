"""Exception types that mibench raises for user mistakes.

The CLI turns every :class:`MIBenchError` (and ``ValueError`` from input validation) into a one-line message and
a non-zero exit code instead of a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MIBenchError(Exception):
    """Base class of mibench's own errors."""


class UnknownNameError(MIBenchError, ValueError):
    """An estimator, task or suite name that is not registered; the message lists close matches."""

    def __init__(self, kind: str, name: str, available: Iterable[str]):
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        close = difflib.get_close_matches(name, self.available, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        shown = ", ".join(self.available[:40]) + (" ..." if len(self.available) > 40 else "")
        super().__init__(f"unknown {kind} {name!r}.{hint} Available {kind}s: {shown or '(none)'}")


class DuplicateNameError(MIBenchError):
    """Two registrations (built-in or plugin) claim the same name."""


class DataFileError(MIBenchError, ValueError):
    """A user's data file could not be read or does not hold a usable sample."""
