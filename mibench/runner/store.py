"""The results store: an embedded SQLite database, one row per finished job.

Guarantees (tested by killing a run with SIGKILL and rerunning it):

* Only the coordinating process writes, one transaction per finished job (``INSERT`` of one complete row), in
  WAL mode: a crash loses at most the jobs that had not finished, never a committed row, and never leaves a
  partial row.
* Rows are keyed by the job key (task id and version, estimator and parameter hash, n, repetition), so a rerun
  of the same suite computes only missing jobs and duplicates none.
* A file that is not a mibench store (another application's database, or not a database at all) is refused and
  left exactly as it was: it is inspected through a read-only connection before anything is written.

Schema versions. ``meta.schema_version`` says which layout a store has; :data:`SCHEMA_VERSION` is the layout
this mibench writes. Opening an older store applies :data:`MIGRATIONS` in order, all in one transaction (so an
interrupted or failed migration leaves the store as it was); a store from a newer mibench is refused. To change
the layout: append a :class:`Migration` whose statements turn the previous version into the new one (frozen SQL:
a migration never changes once released), bump :data:`SCHEMA_VERSION`, and add a test that opens a store of the
previous version.

Exports: a pandas DataFrame, CSV and JSON (never pickle), columns and dtypes from
:class:`~mibench.runner.schema.ResultRow`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mibench.errors import StoreError
from mibench.runner.schema import (
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    RESULT_COLUMNS,
    STATUSES,
    ResultRow,
    results_table_sql,
)

if TYPE_CHECKING:
    import pandas as pd

    from mibench.runner.environment import Environment

__all__ = [
    "MIGRATIONS",
    "RESULT_COLUMNS",
    "SCHEMA_VERSION",
    "STATUSES",
    "Migration",
    "ResultsStore",
    "StoreError",
    "default_store_path",
    "utc_now",
]

#: The layout this mibench writes (see the module docstring).
SCHEMA_VERSION = 3

APPLICATION = "mibench"

_RESULTS_INDEX_SQL = "CREATE INDEX results_by_task ON results (task_id, estimator, n)"

_RUNS_SQL = """CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    options TEXT NOT NULL,
    mibench_version TEXT NOT NULL,
    n_jobs INTEGER NOT NULL,
    n_pending INTEGER NOT NULL,
    n_done INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    environment TEXT,
    suite_definition TEXT
)"""
#: The latest definition of every suite a run covered (built-in, or from a suite file), by name.
_SUITES_SQL = """CREATE TABLE suites (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""
#: Which jobs (keys) each suite's runs covered: a row belongs to every suite whose run asked for it, so one row can
#: serve several suites (``smoke``'s n = 1000 jobs are also ``quick``'s).
_SUITE_JOBS_SQL = """CREATE TABLE suite_jobs (
    suite TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (suite, key)
) WITHOUT ROWID"""


def _create_statements() -> tuple[str, ...]:
    """A new store at :data:`SCHEMA_VERSION`."""
    return (
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        results_table_sql("results"),
        _RESULTS_INDEX_SQL,
        _RUNS_SQL,
        _SUITES_SQL,
        _SUITE_JOBS_SQL,
    )


@dataclass(frozen=True)
class Migration:
    """Turns a store of schema ``version - 1`` into schema ``version``: SQL statements run in order, inside the
    transaction that runs every pending migration."""

    version: int
    description: str
    statements: tuple[str, ...]


# Version 2: the status CHECK also allows 'memory' (SQLite cannot change a CHECK in place: the table is rebuilt),
# runs record their machine and environment, and meta names the application.
_RESULTS_V2 = """CREATE TABLE results_v2 (
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
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'memory')),
    error TEXT,
    info TEXT NOT NULL,
    mibench_version TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    CHECK ((status = 'ok') = (estimate IS NOT NULL))
)"""
_V1_COLUMNS = (
    "key, task_id, task_version, family, dim_x, dim_y, estimator, params, params_hash, n, repetition, seed, "
    "estimate, true_mi, mi_stderr, seconds, peak_memory_mb, status, error, info, mibench_version, finished_at, run_id"
)

# Version 3: results carry the estimator's version (its place in the row follows params_hash, so the table is
# rebuilt), runs their suite's definition, and two tables record suites and the jobs their runs covered.
_RESULTS_V3 = """CREATE TABLE results_v3 (
    key TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    task_version TEXT NOT NULL,
    family TEXT NOT NULL,
    dim_x INTEGER NOT NULL,
    dim_y INTEGER NOT NULL,
    estimator TEXT NOT NULL,
    params TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    estimator_version TEXT NOT NULL,
    n INTEGER NOT NULL,
    repetition INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    estimate REAL,
    true_mi REAL NOT NULL,
    mi_stderr REAL NOT NULL,
    seconds REAL,
    peak_memory_mb REAL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'timeout', 'memory')),
    error TEXT,
    info TEXT NOT NULL,
    mibench_version TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    run_id TEXT NOT NULL,
    CHECK ((status = 'ok') = (estimate IS NOT NULL))
)"""

#: Every migration, in order: ``MIGRATIONS[i]`` produces schema version ``i + 2``.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        2,
        "status 'memory' allowed; runs.environment; meta.application",
        (
            _RESULTS_V2,
            f"INSERT INTO results_v2 ({_V1_COLUMNS}) SELECT {_V1_COLUMNS} FROM results",
            "DROP TABLE results",
            "ALTER TABLE results_v2 RENAME TO results",
            _RESULTS_INDEX_SQL,
            "ALTER TABLE runs ADD COLUMN environment TEXT",
            f"INSERT OR REPLACE INTO meta VALUES ('application', '{APPLICATION}')",
        ),
    ),
    Migration(
        3,
        "results.estimator_version (empty for older rows, whose keys carry no version); runs.suite_definition; "
        "tables suites and suite_jobs (filled from the runs that computed the existing rows)",
        (
            _RESULTS_V3,
            f"INSERT INTO results_v3 ({_V1_COLUMNS}, estimator_version) SELECT {_V1_COLUMNS}, '' FROM results",
            "DROP TABLE results",
            "ALTER TABLE results_v3 RENAME TO results",
            _RESULTS_INDEX_SQL,
            "ALTER TABLE runs ADD COLUMN suite_definition TEXT",
            """CREATE TABLE suites (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
)""",
            """CREATE TABLE suite_jobs (
    suite TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (suite, key)
) WITHOUT ROWID""",
            "INSERT OR IGNORE INTO suite_jobs (suite, key) "
            "SELECT runs.suite, results.key FROM results JOIN runs ON results.run_id = runs.run_id",
        ),
    ),
)
assert [m.version for m in MIGRATIONS] == list(range(2, SCHEMA_VERSION + 1)), "MIGRATIONS must lead to SCHEMA_VERSION"


def default_store_path() -> Path:
    """Where results go when no ``--store`` is given: ``$MIBENCH_STORE``, else ``.mibench/results.sqlite`` in
    the current directory (so ``mibench run`` then ``mibench report`` work with no flags)."""
    return Path(os.environ.get("MIBENCH_STORE", Path(".mibench") / "results.sqlite"))


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _not_a_store(path: str, why: str) -> StoreError:
    return StoreError(
        f"{path} is not a mibench results store ({why}); it was left unchanged. Use another --store PATH."
    )


def _schema_version(db: sqlite3.Connection, path: str) -> int | None:
    """The schema version of the store open on ``db``; ``None`` for an empty database (no tables). Only reads.

    Raises:
        StoreError: another application's database, a damaged store, or a store from a newer mibench.
    """
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return None
    if "meta" not in tables:
        shown = ", ".join(sorted(tables)[:10])
        raise _not_a_store(path, f"an SQLite database with the table(s) {shown} and no mibench metadata")
    try:
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.OperationalError:
        raise _not_a_store(path, "its meta table is not mibench's") from None
    if meta.get("application", APPLICATION) != APPLICATION:
        raise _not_a_store(path, f"it belongs to {meta['application']!r}")
    if "schema_version" not in meta:
        raise _not_a_store(path, "its meta table has no schema_version")
    raw = meta["schema_version"]
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise StoreError(
            f"the results store {path} is damaged: its schema_version is {raw!r}, not a positive integer. "
            "Use another --store PATH (or restore the file from a backup)."
        )
    version = int(text)
    if version > SCHEMA_VERSION:
        from mibench._version import __version__

        raise StoreError(
            f"the results store {path} has schema version {version}, written by a newer mibench; this mibench "
            f"({__version__}) reads schema versions up to {SCHEMA_VERSION}. Upgrade mibench to read it, or use "
            "another --store PATH."
        )
    missing = sorted({"results", "runs"} - tables)
    if missing:
        raise StoreError(f"the results store {path} is damaged: it lacks the table(s) {', '.join(missing)}")
    return version


def _inspect_read_only(file: Path) -> None:
    """Refuse a file that is not a usable mibench store, through a read-only connection (never writes)."""
    uri = file.resolve().as_uri() + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=30.0)
    except sqlite3.Error as exc:
        raise StoreError(f"{file} is not a usable mibench results store: {exc}") from exc
    try:
        _schema_version(db, str(file))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{file} is not a usable mibench results store: {exc}") from exc
    finally:
        db.close()


class ResultsStore:
    """A SQLite results store at ``path`` (created with its folder if missing; ``":memory:"`` for tests).

    An older store is migrated when opened (see the module docstring). Use it from one process at a time; open it
    as a context manager or call :meth:`close`.

    Raises:
        StoreError: no store at ``path`` and ``create`` is false; the file is not a mibench store (left
            unchanged); the store is damaged or from a newer mibench; a migration failed (the store unchanged).
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True):
        self.path = str(path)
        if self.path != ":memory:":
            file = Path(self.path)
            if file.exists():
                _inspect_read_only(file)
            elif not create:
                raise StoreError(f"no results store at {file} (run a suite first, or pass --store PATH)")
            else:
                file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the results store {self.path}: {exc}") from exc
        try:
            with self._transaction():  # under the write lock: another process may have created or migrated it
                version = _schema_version(self._db, self.path)
                if version is None:
                    self._create()
                elif version < SCHEMA_VERSION:
                    self._migrate(version)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.path} is not a usable mibench results store: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    def _create(self) -> None:
        for statement in _create_statements():
            self._db.execute(statement)
        self._db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("schema_version", str(SCHEMA_VERSION)), ("application", APPLICATION)]
        )

    def _migrate(self, version: int) -> None:
        """Apply every migration after ``version``, inside the caller's transaction."""
        for migration in MIGRATIONS[version - 1 :]:
            try:
                for statement in migration.statements:
                    self._db.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"could not migrate the results store {self.path} from schema version {migration.version - 1} "
                    f"to {migration.version} ({migration.description}): {exc}. The store is unchanged."
                ) from exc
        self._db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION),))

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------------------------

    def record(self, row: ResultRow | Mapping[str, Any]) -> None:
        """Write one finished job's row in its own transaction (replacing an earlier row of the same key, which
        happens only when failed jobs are retried). A row missing a column or breaking a constraint is refused
        whole (``ValueError``); nothing partial is ever written."""
        if not isinstance(row, ResultRow):
            row = ResultRow.from_mapping(row)
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        try:
            with self._transaction():
                self._db.execute(
                    f"INSERT OR REPLACE INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({placeholders})",
                    row.values(),
                )
                self._db.execute("UPDATE runs SET n_done = n_done + 1 WHERE run_id = ?", (row.run_id,))
        except (sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
            raise ValueError(f"result row for {row.key} refused by the store: {exc}") from exc

    def start_run(
        self,
        suite: str,
        options: Mapping[str, Any],
        n_jobs: int,
        n_pending: int,
        version: str,
        environment: Environment | None = None,
        *,
        suite_definition: str | None = None,
        run_definition: str | None = None,
        keys: Iterable[str] = (),
    ) -> str:
        """Record the start of a run, in one transaction: its options and environment, the definition of the suite
        it covers (``suite_definition``: the suite by that name, kept as the suite's latest definition;
        ``run_definition``: the grid this run covered after selecting estimators and tasks) and the keys of all
        its jobs as members of the suite (run now or already stored). Returns the run's id."""
        run_id = uuid.uuid4().hex[:12]
        now = utc_now()
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs (run_id, suite, started_at, options, mibench_version, n_jobs, n_pending, state,"
                " environment, suite_definition) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)",
                (
                    run_id,
                    suite,
                    now,
                    json.dumps(dict(options), default=str),
                    version,
                    n_jobs,
                    n_pending,
                    None if environment is None else environment.to_json(),
                    run_definition,
                ),
            )
            if suite_definition is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO suites (name, definition, updated_at) VALUES (?, ?, ?)",
                    (suite, suite_definition, now),
                )
            self._db.executemany(
                "INSERT OR IGNORE INTO suite_jobs (suite, key) VALUES (?, ?)", ((suite, key) for key in keys)
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

    def status_counts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many of the jobs ``keys`` are stored with each status (every status of ``STATUSES``, 0 if none)."""
        wanted = set(keys)
        counts = dict.fromkeys(STATUSES, 0)
        for key, status in self._db.execute("SELECT key, status FROM results"):
            if key in wanted:
                counts[status] = counts.get(status, 0) + 1
        return counts

    def suite_keys(self, suite: str) -> set[str]:
        """Keys of the jobs that runs of ``suite`` covered (stored or not)."""
        return {key for (key,) in self._db.execute("SELECT key FROM suite_jobs WHERE suite = ?", (suite,))}

    def suite_definitions(self) -> dict[str, str]:
        """The latest recorded definition (JSON, see :meth:`mibench.suites.Suite.to_dict`) of every suite a run
        covered, by name; a suite recorded only by runs older than suite definitions has none."""
        return dict(self._db.execute("SELECT name, definition FROM suites ORDER BY name"))

    def suite_names(self) -> list[str]:
        """Every suite name that runs in this store covered, sorted."""
        names = {name for (name,) in self._db.execute("SELECT DISTINCT suite FROM runs")}
        names |= {name for (name,) in self._db.execute("SELECT DISTINCT suite FROM suite_jobs")}
        return sorted(names)

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first: its id, suite, times, options (JSON), counts, state and environment (JSON or
        ``None`` for runs recorded before environments were)."""
        cursor = self._db.execute("SELECT * FROM runs ORDER BY started_at")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def environments(self, run_ids: Iterable[str] | None = None) -> dict[str, Environment | None]:
        """The recorded environment of each run (of those in ``run_ids``, or all); ``None`` where none was
        recorded or it cannot be read."""
        from mibench.runner.environment import Environment

        wanted = None if run_ids is None else set(run_ids)
        out: dict[str, Environment | None] = {}
        for run_id, text in self._db.execute("SELECT run_id, environment FROM runs ORDER BY started_at"):
            if wanted is not None and run_id not in wanted:
                continue
            try:
                out[run_id] = None if text is None else Environment.from_json(text)
            except (ValueError, TypeError, AttributeError):
                out[run_id] = None
        return out

    def to_dataframe(self, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """The stored rows as a pandas DataFrame (all of them, or those whose job key is in ``keys``), with the
        columns :data:`RESULT_COLUMNS` in order: REAL columns as float64 (NaN for missing), INTEGER as int64."""
        import pandas as pd

        frame = pd.read_sql_query(f"SELECT {', '.join(RESULT_COLUMNS)} FROM results ORDER BY key", self._db)
        if keys is not None:
            frame = frame[frame["key"].isin(set(keys))].reset_index(drop=True)
        for column in FLOAT_COLUMNS:
            frame[column] = frame[column].astype("float64")
        for column in INTEGER_COLUMNS:
            frame[column] = frame[column].astype("int64")
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
        if exc_type is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:  # an error may already have ended it
            self._db.execute("ROLLBACK")
