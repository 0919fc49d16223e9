"""What every ``mibench`` command shares: user errors as one ``error:`` line with exit status 2, comma-separated
list options, the ``--store`` option and plain-text tables.

User mistakes never print a traceback: :func:`user_errors` turns every :class:`~mibench.errors.MIBenchError`, every
``ValueError`` (bad input, e.g. to an estimator) and every ``OSError`` on a path the user gave (a missing file, a
folder without permission) into ``error: message`` on stderr and exit status :data:`USER_ERROR_EXIT`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

__all__ = ["USER_ERROR_EXIT", "fail", "split_list", "store_option", "table", "user_error_message", "user_errors"]

#: Exit status of a command stopped by a user mistake (click's own usage errors use it too).
USER_ERROR_EXIT = 2

F = TypeVar("F", bound=Callable[..., Any])


def user_error_message(exc: BaseException) -> str:
    """The one-line message shown for a user error (an ``OSError`` as ``reason: path``)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        if exc.filename2 is not None:
            where = f"{where} -> {exc.filename2}"
        return f"{exc.strerror}: {where}" if where != "" else exc.strerror
    text = str(exc).strip()
    return " ".join(text.splitlines()) if text else type(exc).__name__


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with :data:`USER_ERROR_EXIT`."""
    click.echo(f"error: {message}", err=True)
    sys.exit(USER_ERROR_EXIT)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn user errors raised inside the block into ``error: message`` on stderr and exit status 2.

    Caught: :class:`~mibench.errors.MIBenchError` (mibench's own: unknown names, bad options, stores, records,
    data files), ``ValueError`` (bad input) and ``OSError`` (``FileNotFoundError``, ``PermissionError`` ...)
    on paths the user gave. Anything else is a bug and keeps its traceback.
    """
    from mibench.errors import MIBenchError

    try:
        yield
    except (MIBenchError, ValueError, OSError) as exc:
        fail(user_error_message(exc))


def split_list(value: str | None) -> list[str] | None:
    """A comma-separated option as a list of its non-empty, stripped parts; ``None`` for no value or no parts."""
    if not value:
        return None
    parts = [part.strip() for part in value.split(",") if part.strip()]
    return parts or None


#: The shared ``--store PATH`` option (value: a :class:`~pathlib.Path`, or ``None`` for the default store).
store_option: Callable[[F], F] = click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results store (SQLite). Default: $MIBENCH_STORE or .mibench/results.sqlite.",
)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain-text table of ``rows`` (values shown as given, no number parsing) under the headers ``columns``."""
    from tabulate import tabulate

    return tabulate([[row[c] for c in columns] for row in rows], headers=list(columns), disable_numparse=True)
