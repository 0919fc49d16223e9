"""The SQLite results store: complete rows only, keyed, exportable."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from mibench.runner.store import RESULT_COLUMNS, SCHEMA_VERSION, ResultsStore, StoreError
from tests.rows import result_row


def _row(key="k1", status="ok", estimate=0.5, run_id="r"):
    return result_row(key=key, status=status, estimate=estimate, run_id=run_id)


def test_record_and_read_back(tmp_path):
    with ResultsStore(tmp_path / "s.sqlite") as store:
        run_id = store.start_run("smoke", {"jobs": 1}, n_jobs=2, n_pending=2, version="0")
        store.record(_row("a", run_id=run_id))
        store.record(_row("b", status="error", estimate=None, run_id=run_id))
        assert store.finished_keys() == {"a", "b"}
        assert store.finished_keys(("ok",)) == {"a"}
        frame = store.to_dataframe()
        assert list(frame.columns) == list(RESULT_COLUMNS) and len(frame) == 2
        assert store.to_dataframe(["b"])["status"].tolist() == ["error"]
        store.finish_run(run_id)
        assert store.runs()[0]["n_done"] == 2 and store.runs()[0]["state"] == "finished"
        csv_path = store.to_csv(tmp_path / "out.csv")
        json_path = store.to_json(tmp_path / "out.json")
    assert csv_path.read_text().splitlines()[0].startswith("key,task_id")
    assert len(json.loads(json_path.read_text())) == 2


def _stored(store, key):
    row = store.to_dataframe([key]).iloc[0]
    return row["status"], None if row["status"] != "ok" else row["estimate"]


def test_a_finished_ok_row_is_never_replaced_but_by_a_fresh_run(tmp_path):
    with ResultsStore(tmp_path / "s.sqlite") as store:
        run_id = store.start_run("smoke", {}, 2, 2, "0")
        assert store.record(_row("a", estimate=0.1, run_id=run_id))
        for worse in ("timeout", "error", "memory"):  # a later run's failure of the same job (other options)
            assert not store.record(_row("a", status=worse, estimate=None, run_id=run_id))
        assert not store.record(_row("a", estimate=0.2, run_id=run_id))  # nor another value, short of --fresh
        assert store.count() == 1 and _stored(store, "a") == ("ok", 0.1)

        # a failed row is replaced by the job's next outcome (a retry): failed again (the latest failure), or ok
        assert store.record(_row("b", status="timeout", estimate=None, run_id=run_id))
        assert store.record(_row("b", status="error", estimate=None, run_id=run_id))
        assert _stored(store, "b") == ("error", None)
        assert store.record(_row("b", estimate=0.3, run_id=run_id))
        assert not store.record(_row("b", status="timeout", estimate=None, run_id=run_id))  # a retry failing again
        assert _stored(store, "b") == ("ok", 0.3)

        # a fresh run recomputes and replaces every row, the one deliberate exception
        assert store.record(_row("a", status="timeout", estimate=None, run_id=run_id), replace=True)
        assert _stored(store, "a") == ("timeout", None) and store.count() == 2
        assert store.runs()[0]["n_done"] == 10  # every job the run finished, kept or not


@pytest.mark.parametrize(
    "broken",
    [
        {"status": "ok", "estimate": None},  # ok without a value
        {"status": "error", "estimate": 0.3},  # a failure with a value
        {"status": "exploded"},
        {"task_id": None},
    ],
)
def test_incomplete_or_inconsistent_rows_are_refused_whole(tmp_path, broken):
    with ResultsStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(ValueError, match="refused"):
            store.record({**_row("a"), **broken})
        assert store.count() == 0


def test_missing_column_is_refused(tmp_path):
    row = _row()
    del row["seconds"]
    with ResultsStore(tmp_path / "s.sqlite") as store, pytest.raises(ValueError, match="seconds"):
        store.record(row)


def test_opening_errors(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        ResultsStore(tmp_path / "missing.sqlite", create=False)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable"):
        ResultsStore(garbage)
    old = tmp_path / "old.sqlite"
    ResultsStore(old).close()
    db = sqlite3.connect(old)
    db.execute("UPDATE meta SET value = '999' WHERE name = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema"):
        ResultsStore(old)


def test_rows_are_typed_and_exports_follow_the_row_definition(tmp_path):
    from mibench.runner.schema import FLOAT_COLUMNS, INTEGER_COLUMNS, ResultRow

    row = ResultRow.from_mapping(_row("a"))
    assert row.values() == tuple(_row("a")[c] for c in RESULT_COLUMNS) and row.as_dict() == _row("a")
    with pytest.raises(ValueError, match="unknown column"):
        ResultRow.from_mapping({**_row("a"), "extra": 1})
    with ResultsStore(tmp_path / "s.sqlite") as store:
        store.record(row)  # a typed row, or a mapping of the same columns
        store.record(_row("b", status="timeout", estimate=None))
        frame = store.to_dataframe()
        csv_path, json_path = store.to_csv(tmp_path / "s.csv"), store.to_json(tmp_path / "s.json")
    assert list(frame.columns) == list(RESULT_COLUMNS)
    assert all(frame[c].dtype == "float64" for c in FLOAT_COLUMNS)
    assert all(frame[c].dtype == "int64" for c in INTEGER_COLUMNS)
    assert csv_path.read_text().splitlines()[0] == ",".join(RESULT_COLUMNS)
    assert list(json.loads(json_path.read_text())[0]) == list(RESULT_COLUMNS)
    with ResultsStore(":memory:") as empty:  # dtypes hold for an empty table too
        frame = empty.to_dataframe()
        assert frame.empty and list(frame.columns) == list(RESULT_COLUMNS) and frame["seconds"].dtype == "float64"


def test_the_results_table_is_created_from_the_row_definition(tmp_path):
    from mibench.runner.schema import COLUMN_SQL_TYPES

    with ResultsStore(tmp_path / "s.sqlite") as store:
        assert store.schema_version == SCHEMA_VERSION
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        columns = [(name, kind) for _, name, kind, *_ in db.execute("PRAGMA table_info(results)")]
    assert columns == list(COLUMN_SQL_TYPES.items())


# ---------------------------------------------------------------------------------------------------------------
# schema versions and migrations
# ---------------------------------------------------------------------------------------------------------------

# The exact DDL of schema version 1 (mibench 0.1.0), kept here as a fixture: stores written by it must open.
SCHEMA_V1 = """
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

#: The result columns of schema versions 1 and 2 (version 3 added estimator_version).
V1_COLUMNS = [c for c in RESULT_COLUMNS if c != "estimator_version"]

V1_ROWS = [
    result_row(key="v1-ok", estimate=0.123456789, seconds=0.5, peak_memory_mb=12.25, info='{"k": [1, 2]}'),
    result_row(key="v1-error", status="error", error="RuntimeError: boom\nline 2", seconds=None, run_id="run-1"),
    result_row(key="v1-timeout", status="timeout", error="time limit", task_id="other", n=300, seed=2**62),
]


def _v1_store(path):
    """A store exactly as mibench 0.1.0 wrote it: the old DDL, WAL mode, a finished run and three rows."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA_V1)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute(
        "INSERT INTO runs VALUES ('run-1', 'smoke', '2024-01-01T00:00:00+00:00', '2024-01-01T00:01:00+00:00',"
        " '{\"jobs\": 2}', '0.1.0', 3, 3, 3, 'finished')"
    )
    for row in V1_ROWS:
        db.execute(
            f"INSERT INTO results ({', '.join(V1_COLUMNS)}) VALUES ({', '.join('?' for _ in V1_COLUMNS)})",
            [row[c] for c in V1_COLUMNS],
        )
    db.commit()
    db.close()


def _dump(path):
    with sqlite3.connect(path) as db:
        rows = db.execute(f"SELECT {', '.join(V1_COLUMNS)} FROM results ORDER BY key").fetchall()
        runs = db.execute("SELECT run_id, suite, started_at, finished_at, options, n_done, state FROM runs").fetchall()
    return rows, runs


def test_a_version_1_store_is_migrated_keeping_every_row(tmp_path):
    path = tmp_path / "v1.sqlite"
    _v1_store(path)
    rows_before, runs_before = _dump(path)
    with pytest.raises(sqlite3.IntegrityError):  # version 1 refuses the memory status
        with sqlite3.connect(path) as db:
            db.execute(
                f"INSERT INTO results ({', '.join(V1_COLUMNS)}) VALUES ({', '.join('?' for _ in V1_COLUMNS)})",
                [result_row(key="m", status="memory")[c] for c in V1_COLUMNS],
            )

    with ResultsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert store.finished_keys() == {"v1-ok", "v1-error", "v1-timeout"}
        store.record(result_row(key="v2-memory", status="memory", error="memory limit of 1 GiB", run_id="run-1"))
        assert store.finished_keys(("memory",)) == {"v2-memory"}
        assert store.environments() == {"run-1": None}  # recorded before environments were
        frame = store.to_dataframe(["v1-ok"])
        # the old rows belong to the suite of the run that computed them; their estimator version is unknown
        assert store.suite_keys("smoke") == {"v1-ok", "v1-error", "v1-timeout"} and store.suite_names() == ["smoke"]
    assert frame.loc[0, "estimate"] == 0.123456789 and frame.loc[0, "peak_memory_mb"] == 12.25
    assert frame.loc[0, "estimator_version"] == ""

    rows_after, runs_after = _dump(path)
    assert [r for r in rows_after if r[0] != "v2-memory"] == rows_before  # every row and value kept
    assert runs_after[0][:5] == runs_before[0][:5] and runs_after[0][5] == 4  # n_done counted the new row
    with sqlite3.connect(path) as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        runs_columns = [name for _, name, *_ in db.execute("PRAGMA table_info(runs)")]
        meta = dict(db.execute("SELECT name, value FROM meta"))
    assert "results_by_task" in indexes and tables == {"meta", "results", "runs", "suites", "suite_jobs"}
    assert runs_columns[-7:] == ["environment", "suite_definition", "host", "host_id", "pid", "pid_start", "heartbeat"]
    assert meta == {"schema_version": "4", "application": "mibench"}
    with ResultsStore(path) as again:  # opening a current store changes nothing
        assert again.count() == 4


def test_a_migrated_store_has_the_layout_of_a_new_one(tmp_path):
    _v1_store(tmp_path / "old.sqlite")
    ResultsStore(tmp_path / "old.sqlite").close()
    ResultsStore(tmp_path / "new.sqlite").close()

    def layout(path):
        with sqlite3.connect(path) as db:
            return {
                table: db.execute(f"PRAGMA table_info({table})").fetchall()
                for table in ("meta", "results", "runs", "suites", "suite_jobs")
            } | {"indexes": db.execute("PRAGMA index_list(results)").fetchall()}

    assert layout(tmp_path / "old.sqlite") == layout(tmp_path / "new.sqlite")


def test_a_failed_migration_leaves_the_store_unchanged(tmp_path, monkeypatch):
    from mibench.runner import store as store_module

    path = tmp_path / "v1.sqlite"
    _v1_store(path)
    before = _dump(path)
    *earlier, last = store_module.MIGRATIONS
    failing = (*last.statements, "SELECT no_such_column FROM runs")  # fails after every real statement
    broken = store_module.Migration(last.version, last.description, failing)
    monkeypatch.setattr(store_module, "MIGRATIONS", (*earlier, broken))
    with pytest.raises(
        StoreError,
        match=rf"could not migrate .* from schema version {SCHEMA_VERSION - 1} to {SCHEMA_VERSION}.*unchanged",
    ):
        ResultsStore(path)
    assert _dump(path) == before
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == ("1",)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"meta", "results", "runs"}  # no half-built results_v2 or results_v3, no suites
        assert [name for _, name, *_ in db.execute("PRAGMA table_info(runs)")][-1] == "state"
    monkeypatch.undo()
    with ResultsStore(path) as store:  # and the real migration still works afterwards
        assert store.schema_version == SCHEMA_VERSION and store.count() == 3


def test_a_store_from_a_newer_mibench_is_refused_with_a_way_forward(tmp_path):
    path = tmp_path / "new.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError) as raised:
        ResultsStore(path)
    message = str(raised.value)
    assert str(path) in message and f"schema version {SCHEMA_VERSION + 1}" in message and "newer mibench" in message
    assert "Upgrade mibench" in message and "another --store" in message


@pytest.mark.parametrize("value", ["two", "", "-1", "0", "1.5", "²"])
def test_a_corrupt_schema_version_names_the_store(tmp_path, value):
    path = tmp_path / "bad.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (value,))
    with pytest.raises(StoreError, match="damaged") as raised:
        ResultsStore(path)
    assert str(path) in str(raised.value) and repr(value) in str(raised.value)


@pytest.mark.parametrize("kind", ["other tables", "other meta", "other application", "no version"])
def test_a_database_that_is_not_a_mibench_store_is_refused_and_left_untouched(tmp_path, kind):
    path = tmp_path / "app.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers VALUES (1, 'Ada')")
    if kind == "other meta":
        db.execute("CREATE TABLE meta (key TEXT, payload BLOB)")
    elif kind == "other application":
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('application', 'someone-else'), ('schema_version', '1')")
    elif kind == "no version":
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.commit()
    db.close()
    before = path.read_bytes()
    stat = path.stat()
    for create in (True, False):
        with pytest.raises(StoreError, match="is not a mibench results store") as raised:
            ResultsStore(path, create=create)
        assert str(path) in str(raised.value) and "another --store" in str(raised.value)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.sqlite"]  # no -wal, -shm or -journal left behind


def test_a_damaged_store_lacking_its_tables_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE runs")
    with pytest.raises(StoreError, match="damaged: it lacks the table"):
        ResultsStore(path)


def test_an_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    with ResultsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION and store.count() == 0


def test_store_error_is_a_mibench_error():
    from mibench import runner
    from mibench.errors import MIBenchError

    assert issubclass(StoreError, MIBenchError) and runner.StoreError is StoreError


def test_runs_record_their_environment(tmp_path):
    from mibench.runner.environment import describe_environment

    environment = describe_environment()
    with ResultsStore(tmp_path / "s.sqlite") as store:
        with_env = store.start_run("smoke", {}, 1, 1, "0", environment=environment)
        store.finish_run(with_env)  # one run at a time
        without = store.start_run("smoke", {}, 1, 1, "0")
        assert store.environments() == {with_env: environment, without: None}
        assert store.environments([without]) == {without: None}
        recorded = {run["run_id"]: run["environment"] for run in store.runs()}
        assert json.loads(recorded[with_env])["usable_cores"] == environment.usable_cores


# The exact DDL of schema version 3 (mibench before runs recorded their coordinator), kept here as a fixture.
SCHEMA_V3 = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE results (
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
);
CREATE INDEX results_by_task ON results (task_id, estimator, n);
CREATE TABLE runs (
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
);
CREATE TABLE suites (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE suite_jobs (
    suite TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (suite, key)
) WITHOUT ROWID;
"""

V3_ROWS = [
    result_row(key="v3-ok", estimate=0.25, run_id="run-1"),
    result_row(
        key="v3-timeout", status="timeout", error="time limit", finished_at="2024-01-02T00:05:00+00:00", run_id="run-2"
    ),
]


def _v3_store(path):
    """A store as schema version 3 wrote it: WAL mode, a finished run and one left running by a coordinator that
    was killed long ago (schema 3 recorded no coordinator), a recorded suite and two rows."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA_V3)
    db.execute("INSERT INTO meta VALUES ('schema_version', '3'), ('application', 'mibench')")
    db.execute(
        "INSERT INTO runs VALUES ('run-1', 'smoke', '2024-01-01T00:00:00+00:00', '2024-01-01T00:01:00+00:00',"
        " '{}', '0.3.0', 1, 1, 1, 'finished', NULL, NULL)"
    )
    db.execute(
        "INSERT INTO runs VALUES ('run-2', 'smoke', '2024-01-02T00:00:00+00:00', NULL, '{}', '0.3.0', 2, 2, 1,"
        " 'running', NULL, NULL)"
    )
    db.execute("INSERT INTO suites VALUES ('smoke', '{}', '2024-01-01T00:00:00+00:00')")
    db.executemany("INSERT INTO suite_jobs VALUES ('smoke', ?)", [(row["key"],) for row in V3_ROWS])
    for row in V3_ROWS:
        db.execute(
            f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({', '.join('?' for _ in RESULT_COLUMNS)})",
            [row[c] for c in RESULT_COLUMNS],
        )
    db.commit()
    db.close()


def test_a_version_3_store_is_migrated_and_its_abandoned_run_marked_interrupted(tmp_path):
    path = tmp_path / "v3.sqlite"
    _v3_store(path)
    with sqlite3.connect(path) as db:
        rows_before = db.execute("SELECT * FROM results ORDER BY key").fetchall()
    with ResultsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        runs = {run["run_id"]: run for run in store.runs()}
        assert runs["run-2"]["state"] == "running" and runs["run-2"]["host"] is None  # no coordinator recorded
        new = store.start_run("smoke", {}, 1, 1, "0")  # run-2's last sign of life is far older than STALE_SECONDS
        runs = {run["run_id"]: run for run in store.runs()}
        store.finish_run(new)
    # run-2's last sign of life: its last row, finished after it started
    assert runs["run-2"]["state"] == "interrupted" and runs["run-2"]["finished_at"].startswith("2024-01-02T00:05:00")
    assert runs["run-1"]["state"] == "finished" and runs["run-1"]["host"] is None
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT * FROM results ORDER BY key").fetchall() == rows_before
        assert db.execute("SELECT COUNT(*) FROM suite_jobs").fetchone() == (2,)
    _v3_store(tmp_path / "old.sqlite")
    ResultsStore(tmp_path / "old.sqlite").close()
    ResultsStore(tmp_path / "new.sqlite").close()
    layouts = []
    for name in ("old.sqlite", "new.sqlite"):
        with sqlite3.connect(tmp_path / name) as db:
            layouts.append([db.execute(f"PRAGMA table_info({t})").fetchall() for t in ("runs", "results", "meta")])
    assert layouts[0] == layouts[1]


# ---------------------------------------------------------------------------------------------------------------
# one coordinator per store
# ---------------------------------------------------------------------------------------------------------------


def test_a_run_records_its_coordinator_and_blocks_a_second_run(tmp_path):
    import os
    import socket

    path = tmp_path / "s.sqlite"
    with ResultsStore(path) as first, ResultsStore(path) as second:
        run_id = first.start_run("smoke", {}, 1, 1, "0")
        (run,) = second.runs()
        assert (run["host"], run["pid"], run["state"]) == (socket.gethostname(), os.getpid(), "running")
        assert run["heartbeat"] == run["started_at"] and run["host_id"].startswith(socket.gethostname())
        with pytest.raises(StoreError) as raised:
            second.start_run("quick", {}, 1, 1, "0")
        message = str(raised.value)
        for fragment in (str(path), run_id, "smoke", f"pid {os.getpid()}", "still running", "another --store"):
            assert fragment in message
        with pytest.raises(StoreError, match=run_id):
            second.check_not_in_use()
        assert [r["run_id"] for r in second.runs()] == [run_id]  # the refused run wrote nothing
        first.finish_run(run_id)
        second.check_not_in_use()
        later = second.start_run("quick", {}, 1, 1, "0")  # once the first has finished
        second.finish_run(later)
        assert [r["state"] for r in second.runs()] == ["finished", "finished"]


def _insert_run(path, run_id, **columns):
    from mibench.runner.store import utc_now

    row = {"run_id": run_id, "suite": "smoke", "started_at": utc_now(), "options": "{}", "mibench_version": "0"}
    row |= {"n_jobs": 1, "n_pending": 1, "state": "running"} | columns
    with sqlite3.connect(path) as db:
        db.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def _ago(seconds):
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def _dead_pid():
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _zombie_pid():
    """A child that has exited but is not reaped yet (its pid still exists, as a zombie)."""
    import subprocess
    import time
    from pathlib import Path

    process = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return process


def _coordinator_gone_cases():
    """Runs left ``running`` whose coordinator is gone, by (run id, columns)."""
    from mibench.runner.store import STALE_SECONDS, Coordinator

    me = Coordinator.current()
    here = {"host": me.host, "host_id": me.host_id}
    return {
        "dead-pid": here | {"pid": _dead_pid(), "pid_start": None, "heartbeat": _ago(1)},
        # this very process's pid, as if reused by a process started at another time than the recorded one
        "reused-pid": here | {"pid": me.pid, "pid_start": (me.pid_start or 0) + 1, "heartbeat": _ago(1)},
        "other-host-silent": {
            "host": "elsewhere",
            "host_id": "elsewhere/x",
            "pid": 1,
            "heartbeat": _ago(2 * STALE_SECONDS),
        },
        "before-v4": {"started_at": _ago(2 * STALE_SECONDS)},  # no coordinator recorded, started long ago
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process states and start times in /proc")
def test_runs_of_a_gone_coordinator_are_marked_interrupted(tmp_path):
    from mibench.runner.store import Coordinator

    path = tmp_path / "s.sqlite"
    ResultsStore(path).close()
    cases = _coordinator_gone_cases()
    zombie = _zombie_pid()
    me = Coordinator.current()
    cases["zombie"] = {"host": me.host, "host_id": me.host_id, "pid": zombie.pid, "heartbeat": _ago(1)}
    try:
        for run_id, columns in cases.items():
            _insert_run(path, run_id, **columns)
        with ResultsStore(path) as store:
            new = store.start_run("smoke", {}, 1, 1, "0")
            runs = {run["run_id"]: run for run in store.runs()}
    finally:
        zombie.wait()
    assert {run_id: run["state"] for run_id, run in runs.items()} == dict.fromkeys(cases, "interrupted") | {
        new: "running"
    }
    for run_id, columns in cases.items():  # finished at their last sign of life
        assert runs[run_id]["finished_at"] == columns.get("heartbeat", columns.get("started_at")), run_id


def _live_cases():
    import subprocess

    from mibench.runner.store import STALE_SECONDS, Coordinator, _process_start

    me = Coordinator.current()
    sleeper = subprocess.Popen(["sleep", "60"])
    return sleeper, {
        "same-host-alive": {
            "host": me.host,
            "host_id": me.host_id,
            "pid": sleeper.pid,
            "pid_start": _process_start(sleeper.pid),
            "heartbeat": _ago(10 * STALE_SECONDS),  # a live process is never marked, however old its heartbeat
        },
        "other-host-beating": {"host": "elsewhere", "host_id": "elsewhere/x", "pid": 1, "heartbeat": _ago(5)},
        "before-v4-recent": {"started_at": _ago(5)},
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process start times in /proc")
@pytest.mark.parametrize("case", ["same-host-alive", "other-host-beating", "before-v4-recent"])
def test_a_run_with_a_live_coordinator_is_never_marked(tmp_path, case):
    path = tmp_path / "s.sqlite"
    ResultsStore(path).close()
    sleeper, cases = _live_cases()
    try:
        _insert_run(path, case, **cases[case])
        with ResultsStore(path) as store:
            with pytest.raises(StoreError, match=rf"in use by run {case} of suite smoke.*another --store"):
                store.start_run("smoke", {}, 1, 1, "0")
            assert [(run["run_id"], run["state"]) for run in store.runs()] == [(case, "running")]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_heartbeat_is_renewed_while_a_run_runs(tmp_path, monkeypatch):
    import threading
    import time

    from mibench.runner import store as store_module

    monkeypatch.setattr(store_module, "HEARTBEAT_SECONDS", 0.05)
    path = tmp_path / "s.sqlite"
    with ResultsStore(path) as store:
        run_id = store.start_run("smoke", {}, 1, 1, "0")
        first = store.runs()[0]["heartbeat"]
        deadline = time.monotonic() + 20
        while store.runs()[0]["heartbeat"] == first:  # no row is recorded: the background thread renews it
            assert time.monotonic() < deadline, "no heartbeat within 20 s"
            time.sleep(0.02)
        store.finish_run(run_id)
        assert not [t for t in threading.enumerate() if t.name.startswith("mibench-heartbeat")]
        stopped = store.runs()[0]["heartbeat"]
        time.sleep(0.3)
        assert store.runs()[0]["heartbeat"] == stopped


# ---------------------------------------------------------------------------------------------------------------
# reading never changes the store
# ---------------------------------------------------------------------------------------------------------------


def _current_store(path):
    with ResultsStore(path) as store:
        run_id = store.start_run("smoke", {}, 2, 2, "0", suite_definition="{}", keys=["a", "b"])
        store.record(_row("a", run_id=run_id))
        store.record(_row("b", status="error", estimate=None, run_id=run_id))
        store.finish_run(run_id)


def _snapshot(path):
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.mark.parametrize("kind", ["current", "version 3", "version 1"])
def test_reading_read_only_never_changes_the_file(tmp_path, kind):
    path = tmp_path / "s.sqlite"
    {"current": _current_store, "version 3": _v3_store, "version 1": _v1_store}[kind](path)
    before = _snapshot(path)
    with ResultsStore(path, read_only=True) as store:
        assert store.schema_version == SCHEMA_VERSION  # an older store is read through a migrated copy
        frame = store.to_dataframe()
        assert list(frame.columns) == list(RESULT_COLUMNS) and store.count() == len(frame) >= 2
        assert store.runs() and store.suite_names() == ["smoke"]
        store.check_not_in_use()
        for write in (
            lambda: store.record(_row("new")),
            lambda: store.start_run("smoke", {}, 1, 1, "0"),
            lambda: store.finish_run("run-1"),
        ):
            with pytest.raises(StoreError, match="opened read-only"):
                write()
    assert _snapshot(path) == before
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:  # not migrated in place
        stored = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
    assert stored == {"current": str(SCHEMA_VERSION), "version 3": "3", "version 1": "1"}[kind]


def test_a_wal_store_with_pending_rows_is_read_read_only(tmp_path):
    path = tmp_path / "s.sqlite"
    _current_store(path)
    writer = sqlite3.connect(path)  # a run in progress: its rows are in the -wal file, not yet in the store file
    writer.execute("PRAGMA wal_autocheckpoint=0")
    row = _row("pending")
    writer.execute(
        f"INSERT INTO results ({', '.join(RESULT_COLUMNS)}) VALUES ({', '.join('?' for _ in RESULT_COLUMNS)})",
        [row[c] for c in RESULT_COLUMNS],
    )
    writer.commit()
    try:
        assert (tmp_path / "s.sqlite-wal").stat().st_size > 0
        before = _snapshot(path)
        with ResultsStore(path, read_only=True) as store:
            assert set(store.to_dataframe()["key"]) == {"a", "b", "pending"}
        assert _snapshot(path) == before
    finally:
        writer.close()


def test_read_only_refuses_what_is_not_a_store_and_leaves_it_unchanged(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        ResultsStore(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="empty database"):
        ResultsStore(empty, read_only=True)
    assert empty.read_bytes() == b""
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    before = _snapshot(other)
    with pytest.raises(StoreError, match="is not a mibench results store"):
        ResultsStore(other, read_only=True)
    assert _snapshot(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite", "other.sqlite"]
