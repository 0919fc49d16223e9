"""The Dask executor on a real local cluster of worker processes (one per module): the same estimates, statuses
and messages as local processes, time limits and dead job processes, a lost worker, and clear errors."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed")


from mibench.errors import WorkerPoolError
from mibench.runner import ResultsStore, run_suite
from mibench.runner.dask_executor import (
    BATCH_SECONDS,
    MAX_BATCH,
    DaskTarget,
    JobTimes,
    next_batch,
    run_dask,
)
from mibench.runner.jobs import expand
from mibench.runner.schema import Outcome
from mibench.runner.worker import WorkerSettings
from mibench.suites import EstimatorSpec, Suite, get_suite
from tests.dask_cluster import local_cluster
from tests.runner.faulty import HOSTILE_SUITE, MIXED_SUITE, spec

NEURAL_SLICE = Suite(
    name="test-neural-slice",
    tasks=("gaussian-pairs-1x1-rho0.75", "gaussian-pairs-2x2-mi1"),
    estimators=(EstimatorSpec("infonce", {"max_steps": 60, "eval_every": 20, "batch_size": 64}),),
    sample_sizes=(300,),
    repetitions=2,
    timeout=120.0,
)


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as local:
        yield local


def _rows(store) -> dict[str, tuple]:
    with ResultsStore(store, read_only=True) as results:
        frame = results.to_dataframe()
    first_line = frame["error"].fillna("").str.split("\n").str[0]
    estimates = frame["estimate"].astype(object).where(frame["estimate"].notna(), None)  # NaN != NaN
    return {
        key: (status, estimate, error)
        for key, status, estimate, error in zip(frame["key"], frame["status"], estimates, first_line, strict=True)
    }


@pytest.mark.parametrize("suite", [get_suite("smoke"), NEURAL_SLICE, MIXED_SUITE, HOSTILE_SUITE], ids=lambda s: s.name)
def test_dask_gives_the_same_estimates_statuses_and_messages_as_local_processes(tmp_path, cluster, suite):
    local = run_suite(suite, store=tmp_path / "local.sqlite", jobs=2, progress=False)
    on_dask = run_suite(suite, store=tmp_path / "dask.sqlite", scheduler=cluster.scheduler_address, progress=False)
    assert on_dask.counts == local.counts and sum(local.counts.values()) == len(expand(suite))
    local_rows, dask_rows = _rows(tmp_path / "local.sqlite"), _rows(tmp_path / "dask.sqlite")
    assert dask_rows == local_rows  # bit for bit, the seeded stochastic ones included
    with ResultsStore(tmp_path / "dask.sqlite", read_only=True) as results:
        options = results.runs()[-1]["options"]
    assert '"executor": "dask"' in options and cluster.scheduler_address in options


def test_hostile_jobs_are_recorded_with_what_happened_on_both_backends(tmp_path, cluster):
    """An array or None for an estimate, chatter on stdout and a mutated input, ``os._exit``, a hang and
    ``sys.exit``: each is that job's status and message, the same locally and on Dask (the comparison above)."""
    summary = run_suite(HOSTILE_SUITE, store=tmp_path / "s.sqlite", scheduler=cluster.scheduler_address, progress=False)
    rows = {key.split("|")[1].split("@")[0]: row for key, row in _rows(tmp_path / "s.sqlite").items()}
    by_class = {name.split(":")[1].split("#")[0]: row for name, row in rows.items()}
    assert summary.counts == {"ok": 1, "error": 4, "timeout": 1, "memory": 0}
    assert by_class["PrintsAndMutates"][0] == "ok"
    assert by_class["ExitsProcess"][2].startswith("worker process died (exit code 3)")
    assert by_class["Hangs"][0] == "timeout" and by_class["RaisesBaseException"][2] == "SystemExit: 0"
    returned = [row[2] for name, row in rows.items() if "ReturnsType" in name]
    assert sorted(message.split(" of type ")[1].split(";")[0] for message in returned) == ["NoneType", "ndarray"]


def test_time_limits_and_dead_job_processes_on_dask(tmp_path, cluster):
    suite = Suite(
        name="test-dask-faults",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(spec("Hangs", seconds=60.0), spec("Crashes"), EstimatorSpec("gaussian")),
        sample_sizes=(100,),
        repetitions=1,
        timeout=3.0,
    )
    summary = run_suite(suite, store=tmp_path / "s.sqlite", scheduler=cluster.scheduler_address, progress=False)
    assert summary.counts == {"ok": 1, "error": 1, "timeout": 1, "memory": 0}
    rows = {key.split("|")[1].split("#")[0]: row for key, row in _rows(tmp_path / "s.sqlite").items()}
    assert rows["tests.runner.faulty:Hangs"][2] == "job exceeded the time limit of 3 s and was stopped"
    assert rows["tests.runner.faulty:Crashes"][2].startswith("worker process died")


def test_a_memory_limit_applies_on_dask(tmp_path, cluster):
    suite = Suite(
        name="test-dask-memory",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(spec("Allocates", megabytes=2048),),
        sample_sizes=(50,),
        repetitions=1,
    )
    summary = run_suite(
        suite, store=tmp_path / "s.sqlite", scheduler=cluster.scheduler_address, progress=False, memory_limit_mb=512
    )
    assert summary.counts["memory"] == 1


def test_a_worker_that_cannot_read_the_records_directory_stops_the_run_before_any_job(tmp_path, cluster):
    jobs = expand(get_suite("smoke"))
    done = []
    with pytest.raises(WorkerPoolError, match="cannot read the records directory"):
        run_dask(
            jobs,
            lambda job, outcome: done.append(job),
            target=DaskTarget(address=cluster.scheduler_address),
            timeout=60.0,
            settings=WorkerSettings(records_dir=str(tmp_path / "not-shared")),
        )
    assert done == []


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    with pytest.raises(WorkerPoolError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        run_suite(get_suite("smoke"), store=tmp_path / "s.sqlite", scheduler="tcp://127.0.0.1:9", progress=False)
    with ResultsStore(tmp_path / "s.sqlite", read_only=True) as results:
        assert [run["state"] for run in results.runs()] == ["failed"] and results.count() == 0


def test_dask_options_are_checked():
    from mibench.errors import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="either"):
        DaskTarget(address="tcp://x:1", local_workers=2)
    with pytest.raises(InvalidOptionError, match="at least 1"):
        DaskTarget(local_workers=0)


def _job(estimator: str, n: int, repetition: int = 0):
    from mibench.runner.jobs import make_job

    return make_job("gaussian-pairs-1x1-rho0.75", "1", estimator, {}, n, repetition, "v")


def test_jobs_of_known_small_times_travel_together_and_a_job_of_unknown_time_alone():
    times = JobTimes()
    fast = [_job("binning", 100, r) for r in range(100)]
    slow = [_job("ksg", 10000, r) for r in range(3)]
    # Nothing measured yet: one job per batch.
    queue = list(reversed(fast[:3]))
    assert [len(next_batch(queue, times)) for _ in range(3)] == [1, 1, 1]
    times.add(fast[0], Outcome(status="ok", estimate=0.1, seconds=0.001))
    queue = list(reversed(fast))
    assert len(next_batch(queue, times)) == MAX_BATCH  # 64 x 1 ms < BATCH_SECONDS
    # A job of unknown time ends a batch and then goes alone, however small the rest.
    queue = list(reversed([fast[0], fast[1], slow[0], fast[2]]))
    assert [job.estimator for job in next_batch(queue, times)] == ["binning", "binning"]
    assert [job.estimator for job in next_batch(queue, times)] == ["ksg"]
    # Measured slow jobs never share a batch; the budget counts the predicted times.
    times.add(slow[0], Outcome(status="ok", estimate=0.1, seconds=2.0))
    queue = list(reversed(slow))
    assert [len(next_batch(queue, times)) for _ in range(3)] == [1, 1, 1]
    times.add(fast[0], Outcome(status="ok", estimate=0.1, seconds=0.1))  # median of 1 ms and 100 ms: 50.5 ms
    queue = list(reversed(fast))
    assert len(next_batch(queue, times)) == int(BATCH_SECONDS // 0.0505)  # 4 x 50.5 ms
    # A failure without a time adds nothing.
    times.add(_job("kl", 300), Outcome.failure("error", "boom"))
    assert times.predict(_job("kl", 300)) is None


def test_a_lost_worker_costs_only_its_job(tmp_path, cluster):
    # Runs last in this module: it kills both workers once (their nannies restart them).
    suite = Suite(
        name="test-dask-lost-worker",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(spec("KillsItsDaskWorker"), EstimatorSpec("gaussian")),
        sample_sizes=(100,),
        repetitions=3,
        timeout=120.0,
    )
    summary = run_suite(suite, store=tmp_path / "s.sqlite", scheduler=cluster.scheduler_address, progress=False)
    rows = _rows(tmp_path / "s.sqlite")
    killer = [row for key, row in rows.items() if "KillsItsDaskWorker" in key]
    gaussian = [row for key, row in rows.items() if "|gaussian#" in key]
    assert len(killer) == 3 and all(row[0] == "error" and "lost, also on retry" in row[2] for row in killer)
    assert len(gaussian) == 3 and all(row[0] == "ok" for row in gaussian)
    assert summary.counts == {"ok": 3, "error": 3, "timeout": 0, "memory": 0}
