"""Exception types that mibench raises for user mistakes.

The CLI turns every :class:`MIBenchError` (and ``ValueError`` from input validation) into a one-line message and
exit status 2 instead of a traceback (see :mod:`mibench.cli_support`). A class that is also a ``ValueError``
signals bad input to a function, so code that catches ``ValueError`` keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "DataFileError",
    "DuplicateNameError",
    "InvalidOptionError",
    "MIBenchError",
    "NoResultsError",
    "ResultsFileError",
    "StoreError",
    "SuiteFileError",
    "UnknownNameError",
    "WorkerPoolError",
]


class MIBenchError(Exception):
    """Base class of mibench's own errors."""


def _plural(noun: str) -> str:
    """The English plural of a noun phrase (its last word): ``"task family"`` -> ``"task families"``,
    ``"truth kind"`` -> ``"truth kinds"``, ``"box"`` -> ``"boxes"``."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


class UnknownNameError(MIBenchError, ValueError):
    """An estimator, task or suite name that is not registered; the message lists close matches.

    A ``name`` that is not a string at all (``None``, a number) gets the same error, saying so, with the available
    names. ``note`` is appended to the message (e.g. how else a name may be written).
    """

    def __init__(self, kind: str, name: object, available: Iterable[str], note: str = ""):
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        shown = ", ".join(self.available[:40]) + (" ..." if len(self.available) > 40 else "")
        listing = f"Available {_plural(kind)}: {shown or '(none)'}"
        note = f" {note}" if note else ""
        if not isinstance(name, str):
            super().__init__(f"{kind} names are strings, got {name!r} of type {type(name).__name__}.{note} {listing}")
            return
        close = difflib.get_close_matches(name, self.available, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        super().__init__(f"unknown {kind} {name!r}.{hint}{note} {listing}")


class DuplicateNameError(MIBenchError):
    """Two registrations (built-in or plugin) claim the same name."""


class DataFileError(MIBenchError, ValueError):
    """A user's data file could not be read or does not hold a usable sample."""


class InvalidOptionError(MIBenchError, ValueError):
    """An option of a run, a report or an export that is out of range or not understood."""


class SuiteFileError(MIBenchError, ValueError):
    """A suite file (TOML) that cannot be read or does not define a usable suite; the message names the file."""


class StoreError(MIBenchError):
    """A results store cannot be opened: missing, not a mibench store, damaged, or from a newer mibench."""


class NoResultsError(MIBenchError):
    """A results store holds no rows for what was asked (the whole store, or one suite)."""


class ResultsFileError(MIBenchError, ValueError):
    """A file given as results (an export of ``mibench export``, .csv or .json) cannot be read or lacks columns."""


class WorkerPoolError(MIBenchError):
    """mibench's own worker processes failed (the pool could not start, or broke down), through no fault of a job.

    The run stops; nothing is stored for the jobs it had not finished, so rerunning computes them.
    """
