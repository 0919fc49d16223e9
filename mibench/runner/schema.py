"""The typed seams of the runner: what a worker returns (:class:`Outcome`) and what the store keeps per job
(:class:`ResultRow`).

:class:`ResultRow` is the one definition of a result row. Everything that names its columns derives them from
it: :data:`RESULT_COLUMNS` (the order of the store's columns and of every export), the SQL ``CREATE TABLE`` of the
store (:func:`results_table_sql`), the dtypes of the exported DataFrame (:data:`FLOAT_COLUMNS`,
:data:`INTEGER_COLUMNS`) and the column names that :mod:`mibench.scoring` uses (:data:`COLUMN`, e.g.
``COLUMN.task_id``; a misspelt name fails at import time).

This module imports nothing heavy (no numpy, no pandas), so a worker process pays nothing for it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "COLUMN",
    "FAILURE_STATUSES",
    "FLOAT_COLUMNS",
    "INTEGER_COLUMNS",
    "RESULT_COLUMNS",
    "STATUSES",
    "STATUS_OK",
    "Outcome",
    "ResultRow",
    "results_table_sql",
]

STATUS_OK = "ok"
#: Every status a job can end with: ``ok``; ``error`` (the estimator raised, returned a non-finite value or
#: reported a failure, or its worker died); ``timeout`` (stopped at the time limit); ``memory`` (stopped at the
#: memory limit).
STATUSES: tuple[str, ...] = (STATUS_OK, "error", "timeout", "memory")
FAILURE_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if s != STATUS_OK)

#: Longest error message kept (a traceback's tail is cut to fit).
MAX_ERROR_CHARS = 4000


def _column(sql: str, *, nullable: bool = False, primary_key: bool = False, check: str | None = None) -> Any:
    """Field metadata of one store column: its SQL type (``TEXT``, ``INTEGER``, ``REAL``) and constraints."""
    return field(metadata={"sql": sql, "nullable": nullable, "primary_key": primary_key, "check": check})


def _in_statuses() -> str:
    return "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES))


@dataclass(frozen=True)
class ResultRow:
    """One finished job as the results store keeps it (one SQL row; one row of every export).

    Values are plain Python scalars. ``estimate`` is set exactly when ``status == "ok"`` (the store enforces
    it); ``params`` and ``info`` are JSON text; times are ISO 8601 UTC.
    """

    key: str = _column("TEXT", primary_key=True)
    task_id: str = _column("TEXT")
    task_version: str = _column("TEXT")
    family: str = _column("TEXT")
    dim_x: int = _column("INTEGER")
    dim_y: int = _column("INTEGER")
    estimator: str = _column("TEXT")
    params: str = _column("TEXT")
    params_hash: str = _column("TEXT")
    estimator_version: str = _column("TEXT")
    n: int = _column("INTEGER")
    repetition: int = _column("INTEGER")
    seed: int = _column("INTEGER")
    estimate: float | None = _column("REAL", nullable=True)
    true_mi: float = _column("REAL")
    mi_stderr: float = _column("REAL")
    seconds: float | None = _column("REAL", nullable=True)
    peak_memory_mb: float | None = _column("REAL", nullable=True)
    status: str = _column("TEXT", check="status")
    error: str | None = _column("TEXT", nullable=True)
    info: str = _column("TEXT")
    mibench_version: str = _column("TEXT")
    finished_at: str = _column("TEXT")
    run_id: str = _column("TEXT")

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> ResultRow:
        """A row from a mapping with exactly the columns of :data:`RESULT_COLUMNS`.

        Raises:
            ValueError: a column is missing or unknown.
        """
        missing = [c for c in RESULT_COLUMNS if c not in row]
        if missing:
            raise ValueError(f"result row lacks column(s) {missing}")
        unknown = sorted(set(row) - set(RESULT_COLUMNS))
        if unknown:
            raise ValueError(f"result row has unknown column(s) {unknown}")
        return cls(**{c: row[c] for c in RESULT_COLUMNS})

    def as_dict(self) -> dict[str, Any]:
        """The row as a dict, keys in column order."""
        return {c: getattr(self, c) for c in RESULT_COLUMNS}

    def values(self) -> tuple[Any, ...]:
        """The row's values in column order (what ``INSERT`` binds)."""
        return tuple(getattr(self, c) for c in RESULT_COLUMNS)


_FIELDS = dataclasses.fields(ResultRow)

#: Columns of a result row, in order: the store's, and every export's.
RESULT_COLUMNS: tuple[str, ...] = tuple(f.name for f in _FIELDS)
#: Columns held as float64 in exports (missing values as NaN).
FLOAT_COLUMNS: tuple[str, ...] = tuple(f.name for f in _FIELDS if f.metadata["sql"] == "REAL")
#: Columns held as int64 in exports (never missing).
INTEGER_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in _FIELDS if f.metadata["sql"] == "INTEGER" and not f.metadata["nullable"]
)
#: The column names as attributes (``COLUMN.task_id == "task_id"``), read-only: code that names a column reads it
#: here, so a column renamed in :class:`ResultRow` cannot be left behind under its old name.
COLUMN: Any = dataclasses.make_dataclass(
    "ResultColumns", [(name, str, field(default=name)) for name in RESULT_COLUMNS], frozen=True
)()
COLUMN_SQL_TYPES: Mapping[str, str] = MappingProxyType({f.name: f.metadata["sql"] for f in _FIELDS})


def results_table_sql(table: str = "results") -> str:
    """``CREATE TABLE`` of the results table at this schema, derived from :class:`ResultRow`."""
    lines = []
    for f in _FIELDS:
        meta = f.metadata
        parts = [f.name, meta["sql"]]
        if meta["primary_key"]:
            parts.append("PRIMARY KEY")
        elif not meta["nullable"]:
            parts.append("NOT NULL")
        if meta["check"] == "status":
            parts.append(f"CHECK ({_in_statuses()})")
        lines.append("    " + " ".join(parts))
    lines.append(f"    CHECK (({COLUMN.status} = '{STATUS_OK}') = ({COLUMN.estimate} IS NOT NULL))")
    return f"CREATE TABLE {table} (\n" + ",\n".join(lines) + "\n)"


# ---------------------------------------------------------------------------------------------------------------
# Outcome: what a worker hands back for one job
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What running one job produced, in the process that ran it.

    Attributes:
        status: one of :data:`STATUSES`.
        estimate: the estimate in nats when ``status == "ok"``, else ``None``.
        seconds: the estimator's wall time (sampling and ``prepare()`` excluded), or ``None`` if it never ran.
        peak_memory_mb: extra peak resident memory during the estimate (MiB), or ``None`` where not measured.
        error: the failure's message (a traceback's tail included), or ``None``.
        info: the estimator's diagnostics as JSON text (``"{}"`` when none), plus ``"task_context"``: the
            parameters the task supplied, when it supplied any.
    """

    status: str
    estimate: float | None = None
    seconds: float | None = None
    peak_memory_mb: float | None = None
    error: str | None = None
    info: str = "{}"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"outcome status must be one of {STATUSES}, got {self.status!r}")
        if (self.status == STATUS_OK) != (self.estimate is not None):
            raise ValueError(f"an outcome has an estimate exactly when its status is ok; got {self!r}")

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    @classmethod
    def success(
        cls, estimate: float, *, seconds: float, peak_memory_mb: float | None, info: Mapping[str, Any]
    ) -> Outcome:
        return cls(STATUS_OK, float(estimate), seconds, peak_memory_mb, None, info_json(info))

    @classmethod
    def failure(
        cls,
        status: str,
        message: str,
        *,
        seconds: float | None = None,
        peak_memory_mb: float | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """The one way to build a failed outcome (the worker's and the executors' alike); ``message`` is cut to
        :data:`MAX_ERROR_CHARS`."""
        if status == STATUS_OK:
            raise ValueError("a failure needs a failure status, not 'ok'")
        return cls(status, None, seconds, peak_memory_mb, message[:MAX_ERROR_CHARS], info_json(info or {}))


def info_json(info: Mapping[str, Any]) -> str:
    """An estimator's diagnostics as JSON text; what cannot be serialised is replaced by a note saying why."""
    try:
        return json.dumps(dict(info), default=float, allow_nan=True)
    except Exception as exc:
        return json.dumps({"unserialisable_info": f"{type(exc).__name__}: {exc}"})
