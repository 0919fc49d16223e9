"""The results store: an embedded SQLite database, one row per finished job.

Guarantees (tested by killing a run with SIGKILL and rerunning it):

* Only the coordinating process writes, one transaction per finished job (``INSERT`` of one complete row), in
  WAL mode: a crash loses at most the jobs that had not finished, never a committed row, and never leaves a
  partial row.
* Rows are keyed by the job key (task id and version, estimator and parameter hash, n, repetition), so a rerun
  of the same suite computes only missing jobs and duplicates none.

Exports: a pandas DataFrame, CSV and JSON (never pickle).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

#: Columns of a result row, in order (see DESIGN.md, "Results").
RESULT_COLUMNS: tuple[str, ...] = (
    "key",
    "task_id",
    "task_version",
    "family",
    "dim_x",
    "dim_y",
    "estimator",
    "params",
    "params_hash",
    "n",
    "repetition",
    "seed",
    "estimate",
    "true_mi",
    "mi_stderr",
    "seconds",
    "peak_memory_mb",
    "status",
    "error",
    "info",
    "mibench_version",
    "finished_at",
    "run_id",
)

STATUSES = ("ok", "error", "timeout")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    task_version TEXT NOT NULL,
    family TEXT NOT NULL,
    dim_x INTEGER NOT NULL,
    dim_y INTEGER NOT NULL,
    estimator TEXT NOT NULL,
    params TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    n INTEGER NOT NULL,
    repetition INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    estimate REAL,
    true_mi REAL NOT NULL,
    mi_stderr REAL NOT NULL,
    seconds REAL,
    peak_memory_mb REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'timeout')),
    error TEXT,
    info TEXT NOT NULL,
    mibench_version TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    CHECK ((status = 'ok') = (estimate IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS results_by_task ON results (task_id, estimator, n);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    options TEXT NOT NULL,
    mibench_version TEXT NOT NULL,
    n_jobs INTEGER NOT NULL,
    n_pending INTEGER NOT NULL,
    n_done INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL
);
"""


def default_store_path() -> Path:
    """Where results go when no ``--store`` is given: ``$MIBENCH_STORE``, else ``.mibench/results.sqlite`` in
    the current directory (so ``mibench run`` then ``mibench report`` work with no flags)."""
    return Path(os.environ.get("MIBENCH_STORE", Path(".mibench") / "results.sqlite"))


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class StoreError(Exception):
    """The store file cannot be opened or is not a mibench store."""


class ResultsStore:
    """A SQLite results store at ``path`` (created with its folder if missing; ``":memory:"`` for tests).

    Use it from one process at a time; open it as a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True):
        self.path = str(path)
        if self.path != ":memory:":
            file = Path(self.path)
            if not file.exists() and not create:
                raise StoreError(f"no results store at {file} (run a suite first, or pass --store PATH)")
            file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            version = self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            if version is None:
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(version[0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has results schema {version[0]}, this mibench reads schema {SCHEMA_VERSION}"
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable mibench results store: {exc}") from exc

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------------------------

    def record(self, row: Mapping[str, Any]) -> None:
        """Write one finished job's row in its own transaction (replacing an earlier row of the same key, which
        happens only when failed jobs are retried). A row missing a column or breaking a constraint is refused
        whole (``ValueError``); nothing partial is ever written."""
        missing = [c for c in RESULT_COLUMNS if c not in row]
        if missing:
            raise ValueError(f"result row lacks column(s) {missing}")
        values = [row[c] for c in RESULT_COLUMNS]
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        try:
            with self._transaction():
                self._db.execute(
                    f"INSERT OR REPLACE INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({placeholders})",
                    values,
                )
                self._db.execute("UPDATE runs SET n_done = n_done + 1 WHERE run_id = ?", (row["run_id"],))
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"result row for {row.get('key')} refused by the store: {exc}") from exc

    def start_run(self, suite: str, options: Mapping[str, Any], n_jobs: int, n_pending: int, version: str) -> str:
        """Record the start of a run; returns its id."""
        run_id = uuid.uuid4().hex[:12]
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs (run_id, suite, started_at, options, mibench_version, n_jobs, n_pending, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'running')",
                (
                    run_id,
                    suite,
                    utc_now(),
                    json.dumps(dict(options), default=str),
                    version,
                    n_jobs,
                    n_pending,
                ),
            )
        return run_id

    def finish_run(self, run_id: str, state: str = "finished") -> None:
        with self._transaction():
            self._db.execute("UPDATE runs SET finished_at = ?, state = ? WHERE run_id = ?", (utc_now(), state, run_id))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- reading -----------------------------------------------------------------------------------------------

    def finished_keys(self, statuses: Iterable[str] = STATUSES) -> set[str]:
        """Keys of stored jobs with one of these statuses."""
        statuses = tuple(statuses)
        marks = ", ".join("?" for _ in statuses)
        rows = self._db.execute(f"SELECT key FROM results WHERE status IN ({marks})", statuses)
        return {key for (key,) in rows}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def runs(self) -> list[dict[str, Any]]:
        cursor = self._db.execute("SELECT * FROM runs ORDER BY started_at")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def to_dataframe(self, keys: Sequence[str] | None = None) -> Any:
        """The stored rows as a pandas DataFrame (all of them, or those whose job key is in ``keys``)."""
        import pandas as pd

        frame = pd.read_sql_query(f"SELECT {', '.join(RESULT_COLUMNS)} FROM results ORDER BY key", self._db)
        if keys is not None:
            frame = frame[frame["key"].isin(set(keys))].reset_index(drop=True)
        for column in ("estimate", "true_mi", "mi_stderr", "seconds", "peak_memory_mb"):
            frame[column] = frame[column].astype(float)
        return frame

    def to_csv(self, path: str | os.PathLike[str], keys: Sequence[str] | None = None) -> Path:
        self.to_dataframe(keys).to_csv(path, index=False)
        return Path(path)

    def to_json(self, path: str | os.PathLike[str], keys: Sequence[str] | None = None) -> Path:
        self.to_dataframe(keys).to_json(path, orient="records", indent=1)
        return Path(path)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
