"""One factory for hand-built result rows (every store column), shared by the store, scoring and report tests and
the benchmarks."""

from __future__ import annotations

import json
from typing import Any

from mibench.runner.store import RESULT_COLUMNS


def result_row(**overrides: Any) -> dict[str, Any]:
    """A complete, valid result row; ``overrides`` replace fields. A row whose ``status`` is not "ok" gets no
    estimate (and the error "boom") unless the overrides say otherwise, as the store requires."""
    row: dict[str, Any] = {
        "key": "key-0",
        "task_id": "gauss-1d",
        "task_version": "1",
        "family": "gaussian",
        "dim_x": 1,
        "dim_y": 1,
        "estimator": "ksg",
        "params": json.dumps({"k": 3}),
        "params_hash": "h",
        "estimator_version": "src-000000000000",
        "n": 100,
        "repetition": 0,
        "seed": 0,
        "estimate": 0.5,
        "true_mi": 0.4,
        "mi_stderr": 0.0,
        "seconds": 0.1,
        "peak_memory_mb": None,
        "status": "ok",
        "error": None,
        "info": "{}",
        "mibench_version": "0.1.0",
        "finished_at": "2024-01-01T00:00:00+00:00",
        "run_id": "run-1",
    }
    if overrides.get("status", "ok") != "ok":
        row.update(estimate=None, error="boom")
    row.update(overrides)
    assert set(row) == set(RESULT_COLUMNS), set(row) ^ set(RESULT_COLUMNS)
    return row
