"""The SQLite results store: complete rows only, keyed, exportable."""

from __future__ import annotations

import json
import sqlite3

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


def test_a_row_is_unique_per_key(tmp_path):
    with ResultsStore(tmp_path / "s.sqlite") as store:
        store.record(_row("a", estimate=0.1))
        store.record(_row("a", estimate=0.2))  # a retried job replaces its row
        assert store.count() == 1 and store.to_dataframe()["estimate"].tolist() == [0.2]


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
        assert store.schema_version == SCHEMA_VERSION == 3
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
    assert runs_columns[-2:] == ["environment", "suite_definition"]
    assert meta == {"schema_version": "3", "application": "mibench"}
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
    with pytest.raises(StoreError, match=r"could not migrate .* from schema version 2 to 3.*unchanged"):
        ResultsStore(path)
    assert _dump(path) == before
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == ("1",)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"meta", "results", "runs"}  # no half-built results_v2 or results_v3
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
        without = store.start_run("smoke", {}, 1, 1, "0")
        assert store.environments() == {with_env: environment, without: None}
        assert store.environments([without]) == {without: None}
        recorded = {run["run_id"]: run["environment"] for run in store.runs()}
        assert json.loads(recorded[with_env])["usable_cores"] == environment.usable_cores
