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


@pytest.mark.parametrize("backend", ["inline", "process", "dask-local"])
def test_runner_overhead_per_job(benchmark, tmp_path, backend):
    """Wall time per job and the coordinator's peak memory for 10 000 jobs whose estimate costs microseconds: what
    the runner itself costs (expansion, scheduling, transfer, one store transaction per job), with 2 workers."""
    from mibench.runner.memory import PeakMemory

    suite = _overhead_suite()
    counter = iter(range(1000))
    options = {"inline": {"executor": "inline"}, "process": {"jobs": 2}, "dask-local": {"dask_local": 2}}[backend]
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
