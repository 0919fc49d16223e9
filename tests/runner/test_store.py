"""The SQLite results store: complete rows only, keyed, exportable."""

from __future__ import annotations

import json
import sqlite3

import pytest

from mibench.runner.store import RESULT_COLUMNS, ResultsStore, StoreError
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
