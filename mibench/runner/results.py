"""Reading results back: the rows of a store (or of one suite in it), the environments of their runs, exports.

These are what ``mibench report`` and ``mibench export`` compute, as library functions. They open the store
read-only (:class:`~mibench.runner.store.ResultsStore` with ``read_only=True``): reading never changes the store
file, nor migrates an older store in place.
"""

from __future__ import annotations

import json
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
    from mibench.suites import Suite

__all__ = [
    "EXPORT_FORMATS",
    "JOB_IDENTITY",
    "export_results",
    "latest_rows",
    "load_results",
    "recorded_suites",
    "run_environments",
    "run_ids",
    "suite_rows",
]

PathLike = str | os.PathLike[str]

#: File suffixes :func:`export_results` writes.
EXPORT_FORMATS = (".csv", ".json")


def _store_path(store_path: PathLike | None) -> Path:
    return Path(default_store_path() if store_path is None else store_path)


def load_results(
    store_path: PathLike | None = None, suite: str | None = None, *, all_versions: bool = False
) -> pd.DataFrame:
    """The stored rows (one per job) of the store at ``store_path`` (default: the default store), or only those
    of ``suite`` (see :func:`suite_rows`).

    A job recomputed after its estimator or task changed (a new version, so a new key) leaves its earlier row in
    the store; by default only the latest row of each job -- (task, estimator, parameters, n, repetition) -- is
    returned, so nothing is counted twice. ``all_versions=True`` returns every stored row.

    Raises:
        StoreError: no store at ``store_path``, or not a usable one.
        UnknownNameError: a suite that is neither built in nor recorded in the store (the message lists both).
        NoResultsError: the store has no rows (for that suite).
    """
    path = _store_path(store_path)
    with ResultsStore(path, read_only=True) as results:
        frame = results.to_dataframe()
        name = None
        if suite:
            name, frame = suite_rows(results, frame, suite)
    if not all_versions:
        frame = latest_rows(frame)
    if frame.empty:
        what = f" for suite {name!r}" if suite else ""
        raise NoResultsError(f"the store {path} has no results{what}; run `mibench run SUITE` first")
    return frame


#: The columns that identify a job regardless of its task's and estimator's versions.
JOB_IDENTITY = (COLUMN.task_id, COLUMN.estimator, COLUMN.params_hash, COLUMN.n, COLUMN.repetition)


def latest_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest row (by ``finished_at``) of each job in :data:`JOB_IDENTITY` terms, in key order."""
    if frame.empty:
        return frame
    latest = frame.sort_values(COLUMN.finished_at, kind="stable").drop_duplicates(list(JOB_IDENTITY), keep="last")
    return latest.sort_values(COLUMN.key, kind="stable").reset_index(drop=True)


def suite_rows(results: ResultsStore, frame: pd.DataFrame, suite: str) -> tuple[str, pd.DataFrame]:
    """The suite's name and the rows of ``frame`` (read from ``results``) that belong to the suite.

    ``suite`` is a suite's name, or a suite file (a path ending in ``.toml``). A row belongs to it when its job is
    in the suite's grid -- its latest definition recorded in the store, else the built-in (or file) definition --
    or was covered by one of its runs (an estimator added with ``--estimators``, an earlier definition). Jobs are
    matched in :data:`JOB_IDENTITY` terms, so a row computed by another suite with the same job counts too
    (``smoke``'s n = 1000 jobs are also ``quick``'s).

    Raises:
        UnknownNameError: neither built in, nor a file, nor recorded in the store.
    """
    from mibench.errors import UnknownNameError
    from mibench.interface import params_hash
    from mibench.suite_files import is_suite_file, load_suite_file
    from mibench.suites import Suite, get_suite, list_suites

    definition: Suite | None = None
    if is_suite_file(suite):
        definition = load_suite_file(suite)
        name = definition.name
    else:
        name = suite
        stored = results.suite_definitions().get(name)
        if stored is not None:
            definition = Suite.from_dict(json.loads(stored))
        elif name in {s.name for s in list_suites()}:
            definition = get_suite(name)
    keys = results.suite_keys(name)
    if definition is None and not keys:
        known = {s.name for s in list_suites()} | set(results.suite_names())
        raise UnknownNameError("suite", name, known)
    wanted: set[tuple[object, ...]] = set()
    if definition is not None:
        for spec in definition.estimators:
            spec_hash = params_hash(spec.params)
            for task_id in definition.tasks:
                for n in definition.sample_sizes:
                    if spec.runs_on(task_id, n):
                        wanted.update((task_id, spec.name, spec_hash, n, r) for r in range(definition.repetitions))
    covered = frame[frame[COLUMN.key].isin(keys)]
    wanted.update(zip(*(covered[c].tolist() for c in JOB_IDENTITY), strict=True))
    identity = list(zip(*(frame[c].tolist() for c in JOB_IDENTITY), strict=True))
    mask = [job in wanted for job in identity]
    return name, frame[mask].reset_index(drop=True)


def recorded_suites(store_path: PathLike | None = None) -> list[Suite]:
    """The latest recorded definition of every suite that ran into the store (built-in or from a suite file),
    sorted by name.

    Raises:
        StoreError: no store at ``store_path``, or not a usable one.
    """
    from mibench.suites import Suite

    with ResultsStore(_store_path(store_path), read_only=True) as results:
        definitions = results.suite_definitions()
    return [Suite.from_dict(json.loads(text)) for _, text in sorted(definitions.items())]


def run_environments(
    store_path: PathLike | None = None, run_ids: Iterable[str] | None = None
) -> dict[str, Environment | None]:
    """The machine and environment recorded for each run (those in ``run_ids``, or all), by run id; ``None``
    for a run recorded before mibench recorded environments."""
    with ResultsStore(_store_path(store_path), read_only=True) as results:
        return results.environments(run_ids)


def run_records_dirs(store_path: PathLike | None = None, run_ids: Iterable[str] | None = None) -> list[Path]:
    """The records directories (``records_dir`` option) of the runs in ``run_ids`` (or all runs), in the order
    the runs started, without repeats: where a report finds the training records of stored network tasks."""
    wanted = None if run_ids is None else set(run_ids)
    with ResultsStore(_store_path(store_path), read_only=True) as results:
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
    out: PathLike, store_path: PathLike | None = None, suite: str | None = None, *, all_versions: bool = False
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
    frame = load_results(store_path, suite, all_versions=all_versions)
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_json(out, orient="records", indent=1)
    return len(frame)


def run_ids(frame: pd.DataFrame) -> list[str]:
    """The distinct run ids of a results table, sorted."""
    return sorted({str(value) for value in frame[COLUMN.run_id].dropna()})
