"""One job in a worker: the estimator's optional ``prepare()`` runs before the timed call, and its failure is
recorded like any other."""

from __future__ import annotations

import json
import sys

import mibench
from mibench.runner.worker import execute_job


def _job(estimator: str) -> dict:
    task = mibench.get_task("gaussian-pairs-1x1-rho0.75")
    return {
        "task_id": task.id,
        "task_version": task.version,
        "estimator": estimator,
        "params": json.dumps({}),
        "n": 200,
        "seed": 0,
    }


def test_prepare_runs_before_the_estimate() -> None:
    outcome = execute_job(_job("tests.runner.faulty:NeedsPrepare"))
    assert outcome["status"] == "ok", outcome["error"]
    assert outcome["estimate"] == 0.0


def test_a_failing_prepare_is_recorded_not_raised() -> None:
    outcome = execute_job(_job("tests.runner.faulty:PrepareRaises"))
    assert outcome["status"] == "error"
    assert "ImportError: no module named 'imaginary_jit'" in outcome["error"]


def test_ksg_prepare_loads_the_compiled_counts() -> None:
    from mibench.estimators.ksg import KSG

    KSG().prepare()
    assert "mibench.estimators._maxnorm_counts" in sys.modules
    outcome = execute_job(_job("ksg"))
    assert outcome["status"] == "ok", outcome["error"]
