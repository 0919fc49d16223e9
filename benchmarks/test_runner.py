"""Runner overhead: the smoke suite through worker processes vs in-process, and the store's write rate."""

from __future__ import annotations

import pytest

from mibench.runner import ResultsStore, run_suite
from tests.rows import result_row


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_smoke_suite_wall_time(benchmark, tmp_path, executor):
    counter = iter(range(1000))

    def run_once():
        # A fresh store each round, so every round computes all 24 jobs.
        return run_suite("smoke", store=tmp_path / f"s{next(counter)}.sqlite", executor=executor, progress=False)

    summary = benchmark.pedantic(run_once, rounds=3, iterations=1)
    benchmark.extra_info.update(jobs=summary.n_run, executor=executor)


def test_store_record_rate(benchmark, tmp_path):
    store = ResultsStore(tmp_path / "s.sqlite")
    keys = iter(range(10**9))

    def record_one():
        store.record(result_row(key=f"k{next(keys)}", run_id="r"))

    benchmark(record_one)
    store.close()


#: The runner's own overhead is measured on this many jobs of a trivial estimator (a seeded random number).
OVERHEAD_JOBS = 10_000


def _overhead_suite():
    from mibench.suites import EstimatorSpec, Suite

    return Suite(
        name="bench-overhead",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(EstimatorSpec("tests.runner.faulty:SeededNoise"),),
        sample_sizes=(10,),
        repetitions=OVERHEAD_JOBS,
        timeout=60.0,
    )


@pytest.mark.parametrize("backend", ["inline", "process", "dask-local", "dask-local-unbatched"])
def test_runner_overhead_per_job(benchmark, tmp_path, monkeypatch, backend):
    """Wall time per job and the coordinator's peak memory for 10 000 jobs whose estimate costs microseconds: what
    the runner itself costs (expansion, scheduling, transfer, one store transaction per job), with 2 workers;
    ``dask-local-unbatched`` sends every job as its own Dask task (no batching of small jobs)."""
    from mibench.runner import dask_executor
    from mibench.runner.memory import PeakMemory

    if backend == "dask-local-unbatched":
        monkeypatch.setattr(dask_executor, "BATCH_SECONDS", 0.0)
    suite = _overhead_suite()
    counter = iter(range(1000))
    options = {"inline": {"executor": "inline"}, "process": {"jobs": 2}}.get(backend, {"dask_local": 2})
    peaks = []

    def run_once():
        with PeakMemory() as memory:
            summary = run_suite(suite, store=tmp_path / f"s{next(counter)}.sqlite", progress=False, **options)
        peaks.append(memory.peak_mb)
        assert summary.counts["ok"] == OVERHEAD_JOBS
        return summary

    benchmark.pedantic(run_once, rounds=1, iterations=1)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        backend=backend,
        jobs=OVERHEAD_JOBS,
        ms_per_job=1000 * seconds / OVERHEAD_JOBS,
        jobs_per_second=OVERHEAD_JOBS / seconds,
        coordinator_peak_mb=peaks[-1],
    )


#: A sample of ``standard`` whose job times range from a millisecond (binning on 1x1) to many seconds (KSG on a
#: 256-dimensional image task, neural critics): its grid (every estimator, n 100-10 000, 5 seeds) on these tasks.
STANDARD_SAMPLE_TASKS = (
    "gaussian-pairs-1x1-rho0.75",
    "half_cube-gaussian-pairs-1x1-rho0.75",
    "gaussian-pairs-5x5-mi1",
    "student-pairs-10x10-nu3-dmi1",
    "gaussian-pairs-50x50-mi1",
    "bumps-16-mi2.5",
)


def test_standard_sample_local_processes_vs_local_dask(benchmark, tmp_path):
    """The same sample of ``standard`` on 2 local worker processes and on a local Dask cluster of 2 workers,
    alternated round by round (local, Dask, local, Dask): wall time of each and their ratio."""
    import time

    from mibench.suites import get_suite

    suite = get_suite("standard").select(tasks=list(STANDARD_SAMPLE_TASKS))
    counter = iter(range(1000))
    times: dict[str, list[float]] = {"process": [], "dask-local": []}
    counts: dict[str, dict[str, int]] = {}

    def one_round():
        for backend, options in (("process", {"jobs": 2}), ("dask-local", {"dask_local": 2})):
            started = time.perf_counter()
            summary = run_suite(suite, store=tmp_path / f"s{next(counter)}.sqlite", progress=False, **options)
            times[backend].append(time.perf_counter() - started)
            counts[backend] = dict(summary.counts)

    benchmark.pedantic(one_round, rounds=2, iterations=1)
    assert counts["process"] == counts["dask-local"]
    process, dask = (sum(times[b]) / len(times[b]) for b in ("process", "dask-local"))
    benchmark.extra_info.update(
        jobs=suite.n_jobs,
        counts=counts["process"],
        process_seconds=times["process"],
        dask_local_seconds=times["dask-local"],
        dask_over_process=dask / process,
    )
