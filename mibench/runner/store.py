"""The results store: an embedded SQLite database, one row per finished job.

Guarantees (tested by killing runs with SIGKILL, running two at once, and filling the disk):

* One run at a time writes a store, and only its coordinating process: one transaction per finished job
  (``INSERT`` of one complete row), in WAL mode. A crash loses at most the jobs that had not finished, never a
  committed row, and never leaves a partial row.
* Rows are keyed by the job key (task id and version, estimator and parameter hash, n, repetition), so a rerun
  of the same suite computes only missing jobs and duplicates none.
* A finished ``ok`` row is never replaced, except by a run started with ``fresh`` (which recomputes and replaces
  every selected row, the one deliberate exception; :meth:`ResultsStore.record` with ``replace=True``). A failed
  row (``error``, ``timeout``, ``memory``) is replaced by the job's next outcome, ``ok`` or failed again (a retry
  records its latest failure); so a job that once finished ``ok`` stays ``ok`` whatever a later run without
  ``fresh`` computes for it.
* One coordinator per store: each run row records its coordinator (host, a host id that says where its process
  id is meaningful, process id, process start time where the OS tells it, and a heartbeat the coordinator renews
  every :data:`HEARTBEAT_SECONDS` from a background thread and with every row it records). A run starts only when
  no other run of the store is ``running`` with a live coordinator; otherwise :meth:`ResultsStore.start_run`
  raises :class:`~mibench.errors.StoreError` naming that run, its host and process, and writes nothing. A
  coordinator counts as gone when, on the same host (same host id), its process no longer exists, is a zombie,
  or its process id now belongs to a process started at another time; on another host (or where the OS cannot
  tell, or for a run recorded before coordinators were), when its last sign of life -- heartbeat, else its last
  row or its start -- is more than :data:`STALE_SECONDS` old (clocks of the hosts are assumed to agree to well
  within that). The run that starts marks every ``running`` run whose coordinator is gone ``interrupted``
  (``finished_at``: its last sign of life); a run whose coordinator is alive is never marked.
* Storage faults (a read-only file or folder, a full disk, a file size limit, a lock held past the timeout) raise
  :class:`~mibench.errors.StoreError` with one line naming the store; the failed transaction is rolled back, so
  every row stored before stays intact, and a run that ends this way is marked ``failed`` where its run row can
  still be written (else the next run finds its coordinator gone and marks it ``interrupted``).
* A file that is not a mibench store (another application's database, or not a database at all) is refused and
  left exactly as it was: it is inspected through a read-only connection before anything is written.
* ``read_only=True`` (what reports, exports, comparisons and ``list suites --store`` use) never changes the store
  file: it reads through a read-only connection (SQLite may add its ``-wal`` and ``-shm`` companion files beside a
  WAL store; they hold no results), refuses an empty database instead of creating a store in it, and reads an
  older store through a copy in memory that is migrated there, never in place. A WAL store is read with the rows
  of its ``-wal`` file; in a folder the reader cannot write and without a ``-wal`` file, it is read as immutable.

Schema versions. ``meta.schema_version`` says which layout a store has; :data:`SCHEMA_VERSION` is the layout
this mibench writes. Opening an older store for writing applies :data:`MIGRATIONS` in order, all in one
transaction (so an interrupted or failed migration leaves the store as it was); a store from a newer mibench is
refused. To change the layout: append a :class:`Migration` whose statements turn the previous version into the
new one (frozen SQL: a migration never changes once released), bump :data:`SCHEMA_VERSION`, and add a test that
opens a store of the previous version.

Exports: a pandas DataFrame, CSV and JSON (never pickle), columns and dtypes from
:class:`~mibench.runner.schema.ResultRow`.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import threading
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
    "HEARTBEAT_SECONDS",
    "MIGRATIONS",
    "RESULT_COLUMNS",
    "SCHEMA_VERSION",
    "STALE_SECONDS",
    "STATUSES",
    "Coordinator",
    "Migration",
    "ResultsStore",
    "StoreError",
    "default_store_path",
    "utc_now",
]

#: The layout this mibench writes (see the module docstring).
SCHEMA_VERSION = 4

#: Seconds between the heartbeats of a running coordinator (see the module docstring).
HEARTBEAT_SECONDS = 15.0
#: Seconds after its last sign of life from which a run whose coordinator cannot be checked by its process (another
#: host, or a run recorded before coordinators were) counts as gone: many missed heartbeats, so a busy machine or a
#: slow shared folder does not make a live run look dead.
STALE_SECONDS = 600.0

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
    suite_definition TEXT,
    host TEXT,
    host_id TEXT,
    pid INTEGER,
    pid_start INTEGER,
    heartbeat TEXT
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
    Migration(
        4,
        "runs record their coordinator: host, host_id, pid, pid_start and heartbeat (empty for older runs)",
        (
            "ALTER TABLE runs ADD COLUMN host TEXT",
            "ALTER TABLE runs ADD COLUMN host_id TEXT",
            "ALTER TABLE runs ADD COLUMN pid INTEGER",
            "ALTER TABLE runs ADD COLUMN pid_start INTEGER",
            "ALTER TABLE runs ADD COLUMN heartbeat TEXT",
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


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# -- coordinators ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coordinator:
    """The process coordinating a run, as its run row records it, to tell later whether that process still runs.

    ``host`` is the machine's name (shown in messages); ``host_id`` says where ``pid`` names the same process: the
    host name, with the boot id and the PID namespace where the OS tells them (Linux), so that a container sharing
    the host name or a rebooted machine is another host. ``pid_start`` is the process's start time in clock ticks
    after boot (Linux; ``None`` elsewhere), which tells a reused process id from the recorded process.
    """

    host: str
    host_id: str
    pid: int
    pid_start: int | None

    @classmethod
    def current(cls) -> Coordinator:
        """This process."""
        host = socket.gethostname()
        parts = [host]
        try:
            parts.append(Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip())
            parts.append(os.readlink("/proc/self/ns/pid"))
        except OSError:
            pass
        pid = os.getpid()
        return cls(host=host, host_id="/".join(parts), pid=pid, pid_start=_process_start(pid))


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and start time (clock ticks after boot) from ``/proc`` (Linux); ``None`` where
    there is no such file (another OS, or no such process)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 1 :].split()  # after "pid (command name)", which may hold spaces
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _process_start(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return None if stat is None else stat[1]


def _process_alive(pid: int, pid_start: int | None) -> bool | None:
    """Whether the process ``pid`` (started at ``pid_start``, where recorded) of this host still runs; ``None``
    where this OS cannot tell without risk (Windows, where ``os.kill`` would end the process)."""
    if sys.platform == "win32" or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    stat = _proc_stat(pid)
    if stat is None:
        return True  # it exists; this OS gives no start time to compare
    state, started = stat
    if state in ("Z", "X"):
        return False  # ended, not yet reaped by its parent
    return pid_start is None or started == pid_start


@dataclass(frozen=True)
class _RunningRun:
    """A run recorded as ``running`` and whether its coordinator is alive."""

    run_id: str
    suite: str
    host: str | None
    pid: int | None
    last_seen: datetime
    alive: bool
    same_host: bool

    def in_use_message(self, path: str, now: datetime) -> str:
        age = max(0.0, (now - self.last_seen).total_seconds())
        if self.same_host:
            where = f"host {self.host}, pid {self.pid}, still running on this host"
        else:
            where = (
                f"host {self.host or 'not recorded'}, pid {self.pid or 'not recorded'}, last sign of life {age:.0f} s "
                f"ago; it counts as gone {STALE_SECONDS:g} s after that"
            )
        return (
            f"the results store {path} is in use by run {self.run_id} of suite {self.suite} ({where}); "
            "wait for it to finish or use another --store PATH"
        )


def _running_runs(db: sqlite3.Connection, me: Coordinator, now: datetime) -> list[_RunningRun]:
    """Every run of the store recorded as ``running``, each with whether its coordinator is alive (see the module
    docstring). Only reads."""
    cursor = db.execute("SELECT * FROM runs WHERE state = 'running' ORDER BY started_at")
    names = [d[0] for d in cursor.description]
    found = []
    for values in cursor.fetchall():
        run = dict(zip(names, values, strict=True))
        last_seen = _parse_time(run.get("heartbeat"))
        if last_seen is None:  # a run recorded before coordinators were: its last row, else its start
            (latest,) = db.execute("SELECT MAX(finished_at) FROM results WHERE run_id = ?", (run["run_id"],)).fetchone()
            times = [t for t in (_parse_time(run.get("started_at")), _parse_time(latest)) if t is not None]
            last_seen = max(times, default=datetime.fromtimestamp(0, timezone.utc))
        pid = run.get("pid")
        same_host = pid is not None and run.get("host_id") == me.host_id
        alive = _process_alive(int(pid), run.get("pid_start")) if same_host else None
        if alive is None:
            same_host = False
            alive = (now - last_seen).total_seconds() <= STALE_SECONDS
        found.append(_RunningRun(run["run_id"], run["suite"], run.get("host"), pid, last_seen, alive, same_host))
    return found


class _Heartbeat(threading.Thread):
    """Renews a running run's heartbeat every :data:`HEARTBEAT_SECONDS` through its own connection, until
    stopped. A failed renewal is skipped: the coordinator's own writes report storage faults."""

    def __init__(self, path: str, run_id: str):
        super().__init__(name=f"mibench-heartbeat-{run_id}", daemon=True)
        self._path = path
        self._run_id = run_id
        self._stopped = threading.Event()

    def run(self) -> None:
        db: sqlite3.Connection | None = None
        try:
            while not self._stopped.wait(HEARTBEAT_SECONDS):
                try:
                    if db is None:
                        db = sqlite3.connect(self._path, timeout=HEARTBEAT_SECONDS, isolation_level=None)
                    db.execute(
                        "UPDATE runs SET heartbeat = ? WHERE run_id = ? AND state = 'running'",
                        (utc_now(), self._run_id),
                    )
                except sqlite3.Error:
                    pass
        finally:
            if db is not None:
                db.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join()


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


def _connect_read_only(file: Path) -> sqlite3.Connection:
    """A read-only connection to ``file`` that never writes it. In a folder this process cannot write, SQLite cannot
    create the shared-memory file a WAL store needs; without a ``-wal`` file (no transaction pending) the file is
    then read as immutable.

    Raises:
        sqlite3.Error: the file cannot be opened or read.
    """
    uri = file.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        db.close()
        if Path(f"{file}-wal").exists() or os.access(file.parent, os.W_OK):
            raise
        db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=30.0, isolation_level=None)
    return db


def _inspect_read_only(file: Path) -> int | None:
    """Refuse a file that is not a usable mibench store, through a read-only connection (never writes); returns its
    schema version (``None`` for an empty database)."""
    try:
        db = _connect_read_only(file)
    except sqlite3.Error as exc:
        raise StoreError(f"{file} is not a usable mibench results store: {exc}") from exc
    try:
        return _schema_version(db, str(file))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{file} is not a usable mibench results store: {exc}") from exc
    finally:
        db.close()


def _check_writable(file: Path) -> None:
    """Refuse a store that this process cannot write (checked before anything runs): SQLite writes the file and
    creates its journal files beside it."""
    if file.exists() and not os.access(file, os.W_OK):
        raise StoreError(
            f"cannot write to the results store {file}: the file is read-only for this user. Make it writable, or "
            "use another --store PATH (reports and exports only read it)."
        )
    if not os.access(file.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot write to the results store {file}: its folder {file.parent} is read-only for this user (SQLite "
            "keeps its journal beside the store). Use another --store PATH in a writable folder."
        )


class ResultsStore:
    """A SQLite results store at ``path`` (created with its folder if missing; ``":memory:"`` for tests).

    Opened for writing (the default), an older store is migrated in place (see the module docstring); only one run
    at a time may write it. ``read_only=True`` reads an existing store without changing its file (an older one
    through a migrated copy in memory) and refuses every write. Open it as a context manager or call :meth:`close`.

    Raises:
        StoreError: no store at ``path`` and ``create`` is false (or ``read_only``); the file is not a mibench store
            (left unchanged); the store is damaged or from a newer mibench; a migration failed (the store
            unchanged); for writing, the file or its folder is read-only for this user.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, read_only: bool = False):
        self.path = str(path)
        self.read_only = read_only
        self._heartbeats: dict[str, _Heartbeat] = {}
        if read_only:
            self._db = self._open_read_only()
            return
        if self.path != ":memory:":
            file = Path(self.path)
            if file.exists():
                _inspect_read_only(file)
            elif not create:
                raise StoreError(f"no results store at {file} (run a suite first, or pass --store PATH)")
            else:
                try:
                    file.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the results store {file}: {exc.strerror or exc}") from exc
            _check_writable(file)
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
                    self._migrate(self._db, version)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.path} is not a usable mibench results store: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    def _open_read_only(self) -> sqlite3.Connection:
        """A connection that reads the store at :attr:`path` and never writes its file (see the module docstring)."""
        file = Path(self.path)
        if self.path == ":memory:" or not file.is_file():
            raise StoreError(f"no results store at {file} (run a suite first, or pass --store PATH)")
        try:
            db = _connect_read_only(file)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the results store {file}: {exc}") from exc
        try:
            version = _schema_version(db, self.path)
            if version is None:
                raise StoreError(
                    f"no results store at {file}: it is an empty database (left unchanged); run a suite into it "
                    "first, or pass another --store PATH"
                )
            if version < SCHEMA_VERSION:  # migrate a copy in memory, never the file
                memory = sqlite3.connect(":memory:", isolation_level=None)
                db.backup(memory)
                db.close()
                db = memory
                with _Transaction(db):
                    self._migrate(db, version)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StoreError(f"{self.path} is not a usable mibench results store: {exc}") from exc
        except BaseException:
            db.close()
            raise
        return db

    def _create(self) -> None:
        for statement in _create_statements():
            self._db.execute(statement)
        self._db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("schema_version", str(SCHEMA_VERSION)), ("application", APPLICATION)]
        )

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        """Apply every migration after ``version`` on ``db``, inside the caller's transaction."""
        for migration in MIGRATIONS[version - 1 :]:
            try:
                for statement in migration.statements:
                    db.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"could not migrate the results store {self.path} from schema version {migration.version - 1} "
                    f"to {migration.version} ({migration.description}): {exc}. The store is unchanged."
                ) from exc
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION),))

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def close(self) -> None:
        for heartbeat in self._heartbeats.values():
            heartbeat.stop()
        self._heartbeats.clear()
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The layout of this connection's store (:data:`SCHEMA_VERSION`; a read-only older store is read through a
        migrated copy)."""
        return int(self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"the results store {self.path} was opened read-only; open it without read_only to write")

    def _write_error(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(
            f"could not write to the results store {self.path}: {exc} (a full disk, a file size limit, a read-only "
            "file or folder, or another process holding the store?); every row stored before is kept"
        )

    def record(self, row: ResultRow | Mapping[str, Any], *, replace: bool = False) -> bool:
        """Write one finished job's row in its own transaction; returns whether it was written.

        A row of a key not stored yet is inserted. A stored failed row (``error``, ``timeout``, ``memory``) is
        replaced by the new outcome, whatever it is; a stored ``ok`` row is kept, the new row dropped, unless
        ``replace`` (a ``fresh`` run). Either way the run's ``n_done`` counts the job and its heartbeat is renewed.

        Raises:
            ValueError: a row missing a column or breaking a constraint, refused whole (nothing partial is written).
            StoreError: the store cannot be written (full disk, read-only ...); nothing of this row was written.
        """
        self._writable()
        if not isinstance(row, ResultRow):
            row = ResultRow.from_mapping(row)
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        try:
            with self._transaction():
                stored = self._db.execute("SELECT status FROM results WHERE key = ?", (row.key,)).fetchone()
                write = stored is None or replace or stored[0] != "ok"
                if write:
                    self._db.execute(
                        f"INSERT OR REPLACE INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({placeholders})",
                        row.values(),
                    )
                self._db.execute(
                    "UPDATE runs SET n_done = n_done + 1, heartbeat = ? WHERE run_id = ?", (utc_now(), row.run_id)
                )
        except (sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
            raise ValueError(f"result row for {row.key} refused by the store: {exc}") from exc
        except sqlite3.Error as exc:
            raise self._write_error(exc) from exc
        return write

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
        """Record the start of a run, in one transaction: its coordinator (this process), options and environment,
        the definition of the suite it covers (``suite_definition``: the suite by that name, kept as the suite's
        latest definition; ``run_definition``: the grid this run covered after selecting estimators and tasks) and
        the keys of all its jobs as members of the suite (run now or already stored). Runs left ``running`` by a
        coordinator that is gone are marked ``interrupted``. Starts the run's heartbeat; returns the run's id.

        Raises:
            StoreError: another run of this store is running with a live coordinator (nothing is written), or the
                store cannot be written.
        """
        self._writable()
        run_id = uuid.uuid4().hex[:12]
        now = utc_now()
        me = Coordinator.current()
        try:
            with self._transaction():
                self._claim(me)
                self._db.execute(
                    "INSERT INTO runs (run_id, suite, started_at, options, mibench_version, n_jobs, n_pending, state,"
                    " environment, suite_definition, host, host_id, pid, pid_start, heartbeat)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
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
                        me.host,
                        me.host_id,
                        me.pid,
                        me.pid_start,
                        now,
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
        except sqlite3.Error as exc:
            raise self._write_error(exc) from exc
        if self.path != ":memory:":
            self._heartbeats[run_id] = heartbeat = _Heartbeat(self.path, run_id)
            heartbeat.start()
        return run_id

    def _claim(self, me: Coordinator) -> None:
        """Inside the caller's write transaction: refuse when a run with a live coordinator is running, and mark the
        running runs whose coordinator is gone ``interrupted`` (finished at their last sign of life)."""
        now = datetime.now(timezone.utc)
        running = _running_runs(self._db, me, now)
        for run in running:
            if run.alive:
                raise StoreError(run.in_use_message(self.path, now))
        for run in running:
            self._db.execute(
                "UPDATE runs SET state = 'interrupted', finished_at = ? WHERE run_id = ? AND state = 'running'",
                (run.last_seen.isoformat(timespec="milliseconds"), run.run_id),
            )

    def check_not_in_use(self) -> None:
        """Raise :class:`~mibench.errors.StoreError` (the message of :meth:`start_run`) when a run with a live
        coordinator is running on this store; a check before a run prepares anything, which only reads."""
        now = datetime.now(timezone.utc)
        for run in _running_runs(self._db, Coordinator.current(), now):
            if run.alive:
                raise StoreError(run.in_use_message(self.path, now))

    def finish_run(self, run_id: str, state: str = "finished") -> None:
        """Record the end of a run (``finished``, ``interrupted`` or ``failed``) and stop its heartbeat.

        Raises:
            StoreError: the store cannot be written, even after moving its WAL into the file (which frees the room
                a full WAL took under a file size limit).
        """
        self._writable()
        heartbeat = self._heartbeats.pop(run_id, None)
        if heartbeat is not None:
            heartbeat.stop()
        statement = "UPDATE runs SET finished_at = ?, state = ? WHERE run_id = ?"
        try:
            with self._transaction():
                self._db.execute(statement, (utc_now(), state, run_id))
        except sqlite3.Error:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                with self._transaction():
                    self._db.execute(statement, (utc_now(), state, run_id))
            except sqlite3.Error as exc:
                raise self._write_error(exc) from exc

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
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._rollback()
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        """Roll back what is still open (an error may already have ended it); a failing rollback (an I/O error)
        leaves the error that caused it to be reported, and SQLite discards the uncommitted writes."""
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
