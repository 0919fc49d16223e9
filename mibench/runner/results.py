"""Reading results back: the rows of a store (or of one suite in it), the environments of their runs, exports.

These are what ``mibench report`` and ``mibench export`` compute, as library functions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mibench.errors import InvalidOptionError, NoResultsError
from mibench.runner.schema import COLUMN
from mibench.runner.store import ResultsStore, default_store_path

if TYPE_CHECKING:
    import pandas as pd

    from mibench.runner.environment import Environment

__all__ = ["EXPORT_FORMATS", "export_results", "load_results", "run_environments", "run_ids"]

PathLike = str | os.PathLike[str]

#: File suffixes :func:`export_results` writes.
EXPORT_FORMATS = (".csv", ".json")


def _store_path(store_path: PathLike | None) -> Path:
    return Path(default_store_path() if store_path is None else store_path)


def load_results(
    store_path: PathLike | None = None, suite: str | None = None, *, records_dir: PathLike | None = None
) -> pd.DataFrame:
    """The stored rows (one per job) of the store at ``store_path`` (default: the default store), or only those
    of the jobs of ``suite`` (a built-in suite name; its network tasks, if any, are resolved in ``records_dir``).

    Raises:
        StoreError: no store at ``store_path``, or not a usable one.
        UnknownNameError: an unknown suite (or a task of it).
        NoResultsError: the store has no rows (for that suite).
    """
    from mibench.runner.jobs import expand
    from mibench.suites import get_suite

    path = _store_path(store_path)
    with ResultsStore(path, create=False) as results:
        keys = [job.key for job in expand(get_suite(suite), records_dir)] if suite else None
        frame = results.to_dataframe(keys)
    if frame.empty:
        what = f" for suite {suite!r}" if suite else ""
        raise NoResultsError(f"the store {path} has no results{what}; run `mibench run SUITE` first")
    return frame


def run_environments(
    store_path: PathLike | None = None, run_ids: Iterable[str] | None = None
) -> dict[str, Environment | None]:
    """The machine and environment recorded for each run (those in ``run_ids``, or all), by run id; ``None``
    for a run recorded before mibench recorded environments."""
    with ResultsStore(_store_path(store_path), create=False) as results:
        return results.environments(run_ids)


def run_records_dirs(store_path: PathLike | None = None, run_ids: Iterable[str] | None = None) -> list[Path]:
    """The records directories (``records_dir`` option) of the runs in ``run_ids`` (or all runs), in the order
    the runs started, without repeats: where a report finds the training records of stored network tasks."""
    import json

    wanted = None if run_ids is None else set(run_ids)
    with ResultsStore(_store_path(store_path), create=False) as results:
        runs = results.runs()
    folders: list[Path] = []
    for run in runs:
        if wanted is not None and run["run_id"] not in wanted:
            continue
        try:
            folder = json.loads(run["options"] or "{}").get("records_dir")
        except (TypeError, ValueError):
            folder = None
        if folder and Path(folder) not in folders:
            folders.append(Path(folder))
    return folders


def export_results(
    out: PathLike,
    store_path: PathLike | None = None,
    suite: str | None = None,
    *,
    records_dir: PathLike | None = None,
) -> int:
    """Write the rows of :func:`load_results` to ``out`` as CSV or JSON (by its suffix); returns the row count.

    Raises:
        InvalidOptionError: ``out`` has another suffix (checked before anything is read or written).
        and what :func:`load_results` raises.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise InvalidOptionError(f"unsupported export format {suffix or '(none)'!r}; use {' or '.join(EXPORT_FORMATS)}")
    frame = load_results(store_path, suite, records_dir=records_dir)
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_json(out, orient="records", indent=1)
    return len(frame)


def run_ids(frame: pd.DataFrame) -> list[str]:
    """The distinct run ids of a results table, sorted."""
    return sorted({str(value) for value in frame[COLUMN.run_id].dropna()})
