"""The one definition of a result row, and the worker's outcome."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from mibench import scoring
from mibench.runner.schema import (
    COLUMN,
    FAILURE_STATUSES,
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    RESULT_COLUMNS,
    STATUSES,
    Outcome,
    ResultRow,
    info_json,
    results_table_sql,
)
from tests.rows import result_row


def test_columns_derive_from_the_row_dataclass():
    assert RESULT_COLUMNS == tuple(f.name for f in dataclasses.fields(ResultRow))
    assert RESULT_COLUMNS[0] == "key" and RESULT_COLUMNS[-1] == "run_id"
    assert set(FLOAT_COLUMNS) == {"estimate", "true_mi", "mi_stderr", "seconds", "peak_memory_mb"}
    assert set(INTEGER_COLUMNS) == {"dim_x", "dim_y", "n", "repetition", "seed"}
    assert all(getattr(COLUMN, name) == name for name in RESULT_COLUMNS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        COLUMN.task_id = "renamed"
    assert STATUSES == ("ok", "error", "timeout", "memory") and FAILURE_STATUSES == ("error", "timeout", "memory")


def test_scoring_reads_its_column_names_from_the_row_definition():
    assert set(scoring.REQUIRED_RESULT_COLUMNS) <= set(RESULT_COLUMNS)
    assert (scoring.TASK_ID, scoring.STATUS, scoring.RUN_ID) == (COLUMN.task_id, COLUMN.status, COLUMN.run_id)
    assert scoring.STATUS_OK == "ok"
    with pytest.raises(AttributeError):
        COLUMN.no_such_column  # noqa: B018


def test_the_create_table_enforces_the_row_rules():
    db = sqlite3.connect(":memory:")
    db.execute(results_table_sql("results"))
    insert = f"INSERT INTO results VALUES ({', '.join('?' for _ in RESULT_COLUMNS)})"
    for status in STATUSES:
        db.execute(insert, ResultRow.from_mapping(result_row(key=status, status=status)).values())
    for broken in ({"status": "exploded"}, {"status": "ok", "estimate": None}, {"status": "error", "estimate": 1.0}):
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(insert, ResultRow.from_mapping({**result_row(key="x"), **broken}).values())
    assert db.execute("SELECT COUNT(*) FROM results").fetchone() == (len(STATUSES),)


def test_row_from_mapping_needs_exactly_the_columns():
    row = result_row()
    assert ResultRow.from_mapping(row).as_dict() == row
    with pytest.raises(ValueError, match="lacks column"):
        ResultRow.from_mapping({k: v for k, v in row.items() if k != "seed"})
    with pytest.raises(ValueError, match="unknown column"):
        ResultRow.from_mapping({**row, "extra": 1})


def test_outcome_constructors():
    ok = Outcome.success(0.5, seconds=0.1, peak_memory_mb=None, info={"k": 3})
    assert ok.ok and ok.estimate == 0.5 and ok.info == '{"k": 3}' and ok.error is None
    failed = Outcome.failure("timeout", "stopped")
    assert not failed.ok and failed.estimate is None and failed.info == "{}" and failed.seconds is None


def test_info_that_cannot_be_serialised_is_replaced_by_a_note():
    assert info_json({"curve": [1.0, float("nan")]}) == '{"curve": [1.0, NaN]}'
    assert "unserialisable_info" in info_json({"bad": object()})
