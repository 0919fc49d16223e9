"""One job in a worker: typed job and outcome, ``prepare()`` before the timed call, failures recorded, and the
parameters a task supplies to the estimators that consume them."""

from __future__ import annotations

import json
import pickle
import sys

import pytest

import mibench
from mibench import resolver
from mibench.interface import params_hash
from mibench.runner import ResultsStore, expand, make_job, run_suite
from mibench.runner.jobs import Job
from mibench.runner.schema import MAX_ERROR_CHARS, Outcome
from mibench.runner.worker import WorkerSettings, execute_job
from mibench.suites import EstimatorSpec, Suite
from tests.runner.toys import TOY_TASK


def _job(estimator: str, params: dict | None = None, task=None) -> Job:
    task = task or mibench.get_task("gaussian-pairs-1x1-rho0.75")
    return make_job(task.id, task.version, estimator, params or {}, 200, 0)


@pytest.fixture
def toy_task(monkeypatch):
    """Make ``toy-context`` resolvable in this process (inline runs only: worker processes do not see it)."""
    real = resolver.resolve_task

    def resolve(task_id, records_dir=None):
        return TOY_TASK if task_id == TOY_TASK.id else real(task_id, records_dir)

    monkeypatch.setattr(resolver, "resolve_task", resolve)
    return TOY_TASK


def test_jobs_and_outcomes_are_typed_and_picklable() -> None:
    job = _job("gaussian")
    assert pickle.loads(pickle.dumps(job)) == job and pickle.loads(pickle.dumps(WorkerSettings("r"))).records_dir == "r"
    outcome = execute_job(job)
    assert isinstance(outcome, Outcome) and outcome.ok and outcome.error is None
    assert outcome.estimate == pytest.approx(0.41, abs=0.15) and outcome.seconds > 0
    assert json.loads(outcome.info)["canonical_correlations"]
    assert pickle.loads(pickle.dumps(outcome)) == outcome


def test_outcomes_keep_estimate_and_status_consistent() -> None:
    with pytest.raises(ValueError, match="estimate exactly when"):
        Outcome("ok")
    with pytest.raises(ValueError, match="estimate exactly when"):
        Outcome("error", estimate=1.0)
    with pytest.raises(ValueError, match="status must be one of"):
        Outcome("exploded")
    with pytest.raises(ValueError, match="failure status"):
        Outcome.failure("ok", "no")
    failed = Outcome.failure("memory", "x" * (MAX_ERROR_CHARS + 10), info={"a": 1})
    assert failed.status == "memory" and len(failed.error) == MAX_ERROR_CHARS and json.loads(failed.info) == {"a": 1}


def test_prepare_runs_before_the_estimate() -> None:
    outcome = execute_job(_job("tests.runner.faulty:NeedsPrepare"))
    assert outcome.status == "ok", outcome.error
    assert outcome.estimate == 0.0


def test_a_failing_prepare_is_recorded_not_raised() -> None:
    outcome = execute_job(_job("tests.runner.faulty:PrepareRaises"))
    assert outcome.status == "error" and outcome.estimate is None
    assert "ImportError: no module named 'imaginary_jit'" in outcome.error


def test_ksg_prepare_loads_the_compiled_counts() -> None:
    from mibench.estimators.ksg import KSG

    KSG().prepare()
    assert "mibench.estimators._maxnorm_counts" in sys.modules
    outcome = execute_job(_job("ksg"))
    assert outcome.status == "ok", outcome.error


def test_a_stale_task_version_is_an_error_not_a_wrong_result() -> None:
    task = mibench.get_task("gaussian-pairs-1x1-rho0.75")
    outcome = execute_job(make_job(task.id, "not-" + task.version, "gaussian", {}, 100, 0))
    assert outcome.status == "error" and "the job asked for not-" in outcome.error


def test_the_worker_resolves_tasks_through_the_records_directory(monkeypatch, tmp_path) -> None:
    seen = []
    real = resolver.resolve_task

    def resolve(task_id, records_dir=None):
        seen.append((task_id, records_dir))
        return real(task_id, None)

    monkeypatch.setattr(resolver, "resolve_task", resolve)
    assert execute_job(_job("gaussian"), WorkerSettings(records_dir=str(tmp_path))).ok
    assert seen == [("gaussian-pairs-1x1-rho0.75", str(tmp_path))]


def test_a_missing_record_in_a_worker_is_a_recorded_error(tmp_path) -> None:
    job = make_job("net-toy-tanh-s0-e1-l1-xt", "1", "gaussian", {}, 10, 0)
    outcome = execute_job(job, WorkerSettings(records_dir=str(tmp_path)))
    assert outcome.status == "error" and "MissingRecordError" in outcome.error and str(tmp_path) in outcome.error


# ---------------------------------------------------------------------------------------------------------------
# task-supplied context
# ---------------------------------------------------------------------------------------------------------------


def test_the_task_supplies_the_parameters_the_estimator_consumes(toy_task) -> None:
    outcome = execute_job(_job("tests.runner.toys:EchoesContext", task=toy_task))
    assert outcome.ok, outcome.error
    info = json.loads(outcome.info)
    assert info["flag"] == "from-task" and info["target"] is None  # the task has no "target"
    assert info["task_context"] == {"flag": "from-task"}  # only what it applied; "unrelated" is not consumed


def test_explicit_parameters_win_over_the_task(toy_task) -> None:
    outcome = execute_job(_job("tests.runner.toys:EchoesContext", {"flag": "explicit"}, task=toy_task))
    info = json.loads(outcome.info)
    assert info["flag"] == "explicit" and "task_context" not in info


def test_estimators_without_task_context_get_nothing(toy_task) -> None:
    info = json.loads(execute_job(_job("tests.runner.toys:IgnoresContext", task=toy_task)).info)
    assert info == {"flag": None}


def test_task_context_stays_out_of_the_job_key(toy_task, tmp_path) -> None:
    suite = Suite(
        name="test-context",
        tasks=(toy_task.id,),
        estimators=(EstimatorSpec("tests.runner.toys:EchoesContext"),),
        sample_sizes=(20,),
        repetitions=1,
    )
    (job,) = expand(suite)
    assert job.params == "{}" and job.params_hash == params_hash({})
    summary = run_suite(suite, store=tmp_path / "s.sqlite", executor="inline", progress=False)
    assert summary.keys == [job.key]
    with ResultsStore(tmp_path / "s.sqlite") as store:
        row = store.to_dataframe().iloc[0]
    assert (row["key"], row["params"], row["params_hash"]) == (job.key, "{}", job.params_hash)
    assert json.loads(row["info"])["task_context"] == {"flag": "from-task"}


@pytest.mark.parametrize("cls", ["ReturnsType", "InfoReturnsType", "BaseReturnsType"])
@pytest.mark.parametrize("kind", ["float", "float32"])
def test_a_float_estimate_is_stored(cls, kind) -> None:
    outcome = execute_job(_job(f"tests.runner.faulty:{cls}", {"kind": kind}))
    assert outcome.status == "ok", outcome.error
    assert outcome.estimate == 0.25 and type(outcome.estimate) is float


@pytest.mark.parametrize("cls", ["ReturnsType", "InfoReturnsType", "BaseReturnsType"])
@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("str", "'0.25' of type str"),
        ("none", "None of type NoneType"),
        ("bool", "True of type bool"),
        ("int", "1 of type int"),
        ("complex", "(0.25+0j) of type complex"),
        ("array", "of type ndarray"),
        ("array0d", "array(0.25) of type ndarray"),
    ],
)
def test_an_estimate_that_is_not_a_float_is_an_error(cls, kind, shown) -> None:
    """The conformance kit's rule (mibench.interface.estimate_value): a string "0.25" is not stored as 0.25."""
    outcome = execute_job(_job(f"tests.runner.faulty:{cls}", {"kind": kind}))
    assert outcome.status == "error" and outcome.estimate is None
    first_line = outcome.error.splitlines()[0]
    assert first_line.startswith("TypeError: ") and shown in first_line, first_line
    assert "it must return a float (Python float or numpy floating scalar) in nats" in first_line
    where = "estimate_with_info(...).value" if cls == "InfoReturnsType" else "estimate"
    assert f"{where} returned" in first_line
