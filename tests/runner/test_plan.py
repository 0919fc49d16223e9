"""``--dry-run``: the job counts of a run and its cost estimated from the times measured in the store, without
running anything or touching the store."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.runner import ResultsStore, run_suite
from mibench.runner.jobs import expand
from mibench.runner.plan import RunPlan, estimate_seconds, plan_run
from mibench.suites import get_suite
from tests.rows import result_row


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "smoke.sqlite"
    run_suite("smoke", store=path, executor="inline", progress=False)
    return path


def test_a_stored_suite_has_nothing_to_run_and_a_missing_store_is_not_created(smoke_store, tmp_path):
    plan = plan_run("smoke", store=smoke_store)
    assert (plan.n_jobs, plan.n_stored, plan.n_to_run, plan.n_estimated) == (24, 24, 0, 0)
    fresh = plan_run("smoke", store=smoke_store, fresh=True)
    assert fresh.n_to_run == 24 and fresh.n_estimated == 24 and fresh.estimated_seconds > 0
    nothing = plan_run("smoke", store=tmp_path / "none.sqlite")
    assert nothing.n_to_run == 24 and nothing.n_estimated == 0 and not (tmp_path / "none.sqlite").exists()


def test_the_estimate_is_the_median_of_the_closest_measured_jobs():
    jobs = expand(get_suite("smoke"))
    ksg_1000 = [job for job in jobs if job.estimator == "ksg" and job.n == 1000]
    rows = [
        result_row(
            key=f"k{i}",
            task_id="elsewhere",
            estimator="ksg",
            params_hash=ksg_1000[0].params_hash,
            n=1000,
            estimate=0.1,
            seconds=seconds,
        )
        for i, seconds in enumerate((1.0, 2.0, 30.0))
    ]
    import pandas as pd

    count, seconds, extrapolated = estimate_seconds(ksg_1000, pd.DataFrame(rows))
    assert count == len(ksg_1000) == 6 and seconds == pytest.approx(6 * 2.0) and extrapolated == 0  # the median
    # Measured at n = 1000 and 10 000 (t ~ n^1.5): n = 100 000 is extrapolated along the power law.
    rows.append({**rows[1], "key": "k9", "n": 10000, "seconds": 2.0 * 10**1.5})
    at_large_n = [job for job in expand(get_suite("smoke"))][:1]
    from dataclasses import replace

    far = [replace(at_large_n[0], estimator="ksg", params_hash=ksg_1000[0].params_hash, n=100000)]
    count, seconds, extrapolated = estimate_seconds(far, pd.DataFrame(rows))
    assert (count, extrapolated) == (1, 1) and seconds == pytest.approx(2.0 * 100**1.5)
    described = RunPlan("smoke", 24, 0, 24, 6, 7200.0).describe(workers=2)
    assert "2.00 CPU-hours" in described and "1.00 h of wall time on 2 workers" in described
    assert "18 job(s) have no measured time" in described


def test_dry_run_prints_the_plan_and_runs_nothing(smoke_store):
    before = ResultsStore(smoke_store, read_only=True).count()
    result = CliRunner().invoke(main, ["run", "quick", "--dry-run", "--store", str(smoke_store), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "suite quick: 3320 jobs, 12 already stored, 3308 to run" in result.output  # smoke's n = 1000 jobs
    assert "CPU-hours" in result.output and "on 2 workers" in result.output
    assert ResultsStore(smoke_store, read_only=True).count() == before
