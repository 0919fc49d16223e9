"""Runner overhead: the smoke suite through worker processes vs in-process, and the store's write rate."""

from __future__ import annotations

import pytest

from mibench.runner import ResultsStore, run_suite
from mibench.runner.store import RESULT_COLUMNS


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
    row = {c: None for c in RESULT_COLUMNS}
    row.update(
        task_id="t",
        task_version="1",
        family="f",
        dim_x=1,
        dim_y=1,
        estimator="e",
        params="{}",
        params_hash="h",
        n=10,
        repetition=0,
        seed=1,
        estimate=0.5,
        true_mi=0.4,
        mi_stderr=0.0,
        seconds=0.1,
        status="ok",
        info="{}",
        mibench_version="0",
        finished_at="now",
        run_id="r",
    )
    keys = iter(range(10**9))

    def record_one():
        store.record({**row, "key": f"k{next(keys)}"})

    benchmark(record_one)
    store.close()
