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
