"""Running suites: every job once, failures recorded with their messages, the run never dies of a job."""

from __future__ import annotations

import importlib
import json

import pandas as pd
import pytest

import mibench
from mibench.runner import ResultsStore, expand, run_suite
from mibench.suites import EstimatorSpec, Suite
from tests.runner.faulty import MIXED_SUITE, spec


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_failures_are_recorded_and_the_run_continues(tmp_path, executor):
    store_path = tmp_path / "s.sqlite"
    summary = run_suite(MIXED_SUITE, store=store_path, jobs=2, executor=executor, progress=False)
    assert summary.counts == {"ok": 4, "error": 4, "timeout": 0, "memory": 0}
    with ResultsStore(store_path) as store:
        frame = store.to_dataframe().set_index("estimator")
    raises = frame.loc["tests.runner.faulty:Raises"]
    assert (raises["status"] == "error").all() and raises["estimate"].isna().all()
    assert raises["error"].str.startswith("RuntimeError: boom").all()
    nan = frame.loc["tests.runner.faulty:ReturnsNaN"]
    assert nan["error"].str.contains("non-finite").all()
    gaussian = frame.loc["gaussian"]
    assert (gaussian["status"] == "ok").all() and gaussian["true_mi"].tolist() == pytest.approx(
        [0.413339] * 2, abs=1e-6
    )
    assert all(json.loads(info)["canonical_correlations"] for info in gaussian["info"])


def test_stochastic_estimators_get_a_reproducible_seed_per_job(tmp_path):
    first = mibench.run(MIXED_SUITE, store=tmp_path / "a.sqlite", executor="inline", estimators=None)
    second = mibench.run(MIXED_SUITE, store=tmp_path / "b.sqlite", jobs=2)
    pick = lambda df: df[df.estimator.str.endswith("SeededNoise")].sort_values("key")["estimate"].tolist()  # noqa: E731
    assert pick(first) == pick(second)  # same number in-process and in worker processes
    assert len(set(pick(first))) == 2  # the two repetitions got different seeds


def test_timeouts_and_dead_workers_are_recorded(tmp_path):
    suite = Suite(
        name="test-timeouts",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(spec("Hangs", seconds=60.0), spec("Crashes"), EstimatorSpec("gaussian")),
        sample_sizes=(100,),
        repetitions=1,
        timeout=2.0,
    )
    summary = run_suite(suite, store=tmp_path / "s.sqlite", jobs=2, progress=False)
    assert summary.counts == {"ok": 1, "error": 1, "timeout": 1, "memory": 0}
    with ResultsStore(tmp_path / "s.sqlite") as store:
        frame = store.to_dataframe().set_index("estimator")
    assert "time limit of 2 s" in frame.loc["tests.runner.faulty:Hangs", "error"]
    assert "worker process died" in frame.loc["tests.runner.faulty:Crashes", "error"]
    assert frame.loc["gaussian", "status"] == "ok"


def test_smoke_twice_computes_every_job_once(tmp_path):
    store_path = tmp_path / "s.sqlite"
    first = run_suite("smoke", store=store_path, progress=False)
    second = run_suite("smoke", store=store_path, progress=False)
    assert first.n_already_done == 0 and first.counts["ok"] == first.n_jobs == 24
    assert second.n_already_done == 24 and second.n_run == 0
    with ResultsStore(store_path) as store:
        frame = store.to_dataframe()
        assert len(frame) == 24 and frame["key"].is_unique
        assert [run["n_done"] for run in store.runs()] == [24, 0]
    assert (frame["status"] == "ok").all() and frame["seconds"].gt(0).all()


def test_retry_failed_reruns_only_failures(tmp_path):
    store_path = tmp_path / "s.sqlite"
    run_suite(MIXED_SUITE, store=store_path, executor="inline", progress=False)
    again = run_suite(MIXED_SUITE, store=store_path, executor="inline", retry_failed=True, progress=False)
    assert again.n_already_done == 4 and again.counts == {"ok": 0, "error": 4, "timeout": 0, "memory": 0}
    with ResultsStore(store_path) as store:
        assert store.count() == 8
    # the stored counts cover the whole (selected) suite, run now or before
    assert again.stored_counts == {"ok": 4, "error": 4, "timeout": 0, "memory": 0} and again.n_failed_stored == 4
    only_ok = run_suite(MIXED_SUITE, store=store_path, executor="inline", estimators=["gaussian"], progress=False)
    assert only_ok.n_run == 0 and only_ok.n_failed_stored == 0 and only_ok.stored_counts["ok"] == 2


def test_selecting_estimators_and_tasks(tmp_path):
    summary = run_suite(
        "smoke",
        store=tmp_path / "s.sqlite",
        estimators=["gaussian"],
        tasks=["gaussian-pairs-2x2-*"],
        executor="inline",
        progress=False,
    )
    assert summary.n_jobs == 6
    frame = mibench.run(
        "smoke", store=tmp_path / "s.sqlite", estimators=["gaussian"], tasks=["*2x2*"], executor="inline"
    )
    assert set(frame["estimator"]) == {"gaussian"} and set(frame["task_id"]) == {"gaussian-pairs-2x2-mi1"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"estimators": ["nope"]}, "unknown estimator 'nope'"),
        ({"tasks": ["nothing-*"]}, "unknown task"),
        ({"jobs": 0}, "jobs must be"),
        ({"timeout": -1.0}, "timeout must be"),
        ({"executor": "cluster"}, "unknown executor"),
    ],
)
def test_bad_run_options(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_suite("smoke", store=tmp_path / "s.sqlite", progress=False, **kwargs)


def test_unknown_suite_and_task_fail_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match=r"unknown suite 'smok'.*smoke"):
        run_suite("smok", store=tmp_path / "s.sqlite")
    bad = Suite(
        name="bad",
        tasks=("no-such-task",),
        estimators=(EstimatorSpec("ksg"),),
        sample_sizes=(10,),
        repetitions=1,
    )
    with pytest.raises(ValueError, match="unknown task"):
        expand(bad)
    assert not (tmp_path / "s.sqlite").exists() or ResultsStore(tmp_path / "s.sqlite").count() == 0


@pytest.mark.parametrize("threads", [1, 2])
def test_torch_estimators_get_the_jobs_thread_count(tmp_path, threads):
    suite = Suite(
        name="test-torch-threads",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(spec("ReportsTorchThreads"),),
        sample_sizes=(50,),
        repetitions=2,
    )
    frame = mibench.run(suite, store=tmp_path / "s.sqlite", jobs=2, threads_per_job=threads)
    assert (frame["status"] == "ok").all()
    assert [json.loads(info)["torch_threads"] for info in frame["info"]] == [threads, threads]


# ---------------------------------------------------------------------------------------------------------------
# tasks through the resolver: records directories, task context, one resolution per task
# ---------------------------------------------------------------------------------------------------------------


def _network_suite(task_id: str) -> Suite:
    return Suite(
        name="test-network",
        tasks=(task_id,),
        estimators=(EstimatorSpec("tests.runner.toys:EchoesContext"),),
        sample_sizes=(4,),
        repetitions=2,
    )


def test_a_missing_record_fails_before_anything_runs(tmp_path):
    from mibench.errors import MIBenchError
    from mibench.resolver import MissingRecordError

    suite = _network_suite("net-12bit-tanh-s0-e100-l6-xt")
    with pytest.raises(MissingRecordError, match="records_dir") as raised:
        run_suite(suite, store=tmp_path / "s.sqlite", progress=False)
    assert isinstance(raised.value, MIBenchError)
    with pytest.raises(MissingRecordError, match=r"net-12bit-tanh-s0\.npz"):
        run_suite(suite, store=tmp_path / "s.sqlite", records_dir=tmp_path, progress=False)
    with pytest.raises(MissingRecordError):
        expand(suite, tmp_path)
    assert not (tmp_path / "s.sqlite").exists()


def test_network_tasks_run_in_worker_processes_from_the_records_directory(tmp_path):
    from mibench.interface import task_context_params
    from mibench.resolver import resolve_task
    from tests.runner.toys import EchoesContext, tiny_record

    name, record = tiny_record(tmp_path / "records")
    task_id = f"{name}-e1-l1-xt"
    suite = _network_suite(task_id)
    summary = run_suite(suite, store=tmp_path / "s.sqlite", jobs=1, records_dir=tmp_path / "records", progress=False)
    assert summary.counts["ok"] == 2, summary
    task = resolve_task(task_id, tmp_path / "records")
    expected_context = task_context_params(EchoesContext.tags, {}, task.context)
    with ResultsStore(tmp_path / "s.sqlite") as store:
        frame = store.to_dataframe()
        (run,) = store.runs()
    assert (frame["status"] == "ok").all() and (frame["family"] == "network").all()
    assert frame["true_mi"].tolist() == [task.mi, task.mi]
    for info in frame["info"]:
        assert json.loads(info).get("task_context", {}) == expected_context
    assert json.loads(run["options"])["records_dir"] == str((tmp_path / "records").resolve())
    # The directory is a run option, not part of the job: the same record elsewhere gives the same keys.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / record.name).write_bytes(record.read_bytes())
    assert [job.key for job in expand(suite, moved)] == summary.keys


def test_the_coordinator_resolves_each_task_once_per_run(tmp_path, monkeypatch):
    from mibench import resolver

    calls: list[str] = []
    real = resolver.resolve_task

    def counting(task_id, records_dir=None):
        calls.append(task_id)
        return real(task_id, records_dir)

    monkeypatch.setattr(resolver, "resolve_task", counting)
    run_module = importlib.import_module("mibench.runner.run")  # the package's ``run`` is the function
    monkeypatch.setattr(run_module, "run_inline", lambda jobs, on_done, settings: None)  # no worker calls
    summary = run_suite("smoke", store=tmp_path / "s.sqlite", executor="inline", progress=False)
    assert summary.n_jobs == 24 and sorted(calls) == sorted(set(calls)) and len(calls) == 2


def test_runs_record_the_machine_and_environment(tmp_path):
    from mibench.runner.environment import Environment

    run_suite("smoke", store=tmp_path / "s.sqlite", estimators=["gaussian"], executor="inline", progress=False)
    with ResultsStore(tmp_path / "s.sqlite") as store:
        (environment,) = store.environments().values()
    assert isinstance(environment, Environment) and environment.usable_cores >= 1
    assert environment.mibench_version == mibench.__version__


def test_an_estimator_outside_the_suite_runs_on_its_grid(tmp_path):
    toy = "tests.runner.toys:IgnoresContext"
    frame = mibench.run(
        "smoke",
        store=tmp_path / "s.sqlite",
        estimators=["gaussian", toy],
        params={toy: {"flag": "cli"}},
        executor="inline",
    )
    assert len(frame) == 24 and set(frame["status"]) == {"ok"}
    toy_rows = frame[frame["estimator"] == toy]
    assert len(toy_rows) == 12 and set(toy_rows["estimate"]) == {0.25}
    assert all(json.loads(p) == {"flag": "cli"} for p in toy_rows["params"])


def test_an_unguarded_script_gets_a_clear_error_and_stores_no_failures(tmp_path):
    import sqlite3
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text('import mibench\n\nmibench.run("smoke", store="results.sqlite", jobs=2)\nprint("finished")\n')
    done = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "finished" not in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("mibench.errors.WorkerPoolError: mibench's worker processes failed"), done.stderr
    assert 'if __name__ == "__main__":' in last
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone() == (0,)
        assert db.execute("SELECT state FROM runs").fetchall() == [("failed",)]  # only the script's own run
    # guarded, the same script runs every job
    script.write_text(
        'import mibench\n\nif __name__ == "__main__":\n'
        '    mibench.run("smoke", store="results.sqlite", jobs=2)\n    print("finished")\n'
    )
    done = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "finished" in done.stdout, done.stderr
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT status, COUNT(*) FROM results GROUP BY status").fetchall() == [("ok", 24)]


def test_a_call_while_a_worker_imports_the_main_script_is_refused(tmp_path):
    from mibench.errors import WorkerPoolError

    namespace = {"__name__": "__mp_main__", "run_suite": run_suite, "store": tmp_path / "s.sqlite"}
    with pytest.raises(WorkerPoolError, match=r'if __name__ == "__main__":'):
        exec("run_suite('smoke', store=store, executor='inline')", namespace)
    assert not (tmp_path / "s.sqlite").exists()


_DEV_ESTIMATOR = """
from mibench.interface import BaseEstimator, EstimatorTags

class Constant(BaseEstimator):
    tags = EstimatorTags(min_samples=1)

    def estimate(self, x, y):
        return {value}
"""

_ONE_TASK = Suite(
    name="one-task",
    tasks=("gaussian-pairs-1x1-rho0.75",),
    estimators=(EstimatorSpec("devest_mod:Constant"), EstimatorSpec("gaussian")),
    sample_sizes=(100,),
    repetitions=2,
)


def _write_dev_estimator(folder, value):
    import sys

    from mibench.estimators import clear_registry_cache

    (folder / "devest_mod.py").write_text(_DEV_ESTIMATOR.format(value=value))
    sys.modules.pop("devest_mod", None)  # the edited module is imported afresh, as a new process would
    clear_registry_cache()


def test_a_changed_estimator_is_recomputed_and_its_latest_rows_count(tmp_path, monkeypatch):
    """Before estimator versions were in the job key, a rerun after an edit reused the old rows."""
    from mibench.runner.results import load_results

    monkeypatch.syspath_prepend(str(tmp_path))
    store = tmp_path / "s.sqlite"
    _write_dev_estimator(tmp_path, 0.5)
    first = run_suite(_ONE_TASK, store=store, executor="inline", progress=False)
    assert first.n_run == 4
    assert run_suite(_ONE_TASK, store=store, executor="inline", progress=False).n_run == 0  # unchanged: reused

    _write_dev_estimator(tmp_path, 0.75)
    second = run_suite(_ONE_TASK, store=store, executor="inline", progress=False)
    assert second.n_run == 2 and second.n_already_done == 2  # only the edited estimator's jobs
    latest = load_results(store).set_index("estimator")
    assert latest.loc["devest_mod:Constant", "estimate"].tolist() == [0.75, 0.75] and len(latest) == 4
    every = load_results(store, all_versions=True)
    versions = set(every[every["estimator"] == "devest_mod:Constant"]["estimator_version"])
    assert len(every) == 6 and len(versions) == 2 and all(v.startswith("src-") for v in versions)
    assert all(f"@{v}|" in key for key, v in zip(every["key"], every["estimator_version"], strict=True))


def test_fresh_recomputes_and_replaces_the_selected_rows(tmp_path):
    store = tmp_path / "s.sqlite"
    run_suite("smoke", store=store, tasks=["*1x1*"], executor="inline", progress=False)
    with ResultsStore(store) as results:
        before = results.to_dataframe().set_index("key")
    again = run_suite("smoke", store=store, estimators=["gaussian"], tasks=["*1x1*"], fresh=True, progress=False)
    assert again.n_run == 6 and again.n_already_done == 0
    with ResultsStore(store) as results:
        after = results.to_dataframe().set_index("key")
        options = json.loads(results.runs()[-1]["options"])
    assert len(after) == len(before) == 12 and options["fresh"] is True
    gaussian = after["estimator"] == "gaussian"
    assert (after.loc[gaussian, "run_id"] == again.run_id).all()
    assert (after.loc[gaussian, "estimate"] == before.loc[gaussian, "estimate"]).all()  # same seeds, same numbers
    pd.testing.assert_frame_equal(after.loc[~gaussian], before.loc[~gaussian])  # the unselected rows are untouched


def test_a_run_records_its_suite_definition_and_jobs(tmp_path):
    store = tmp_path / "s.sqlite"
    toy = "tests.runner.toys:IgnoresContext"
    summary = run_suite("smoke", store=store, estimators=[toy], tasks=["*1x1*"], executor="inline", progress=False)
    with ResultsStore(store) as results:
        definitions = results.suite_definitions()
        (run,) = results.runs()
        assert results.suite_keys("smoke") == set(summary.keys)
    assert Suite.from_dict(json.loads(definitions["smoke"])) == mibench.get_suite("smoke")
    covered = Suite.from_dict(json.loads(run["suite_definition"]))
    assert [spec.name for spec in covered.estimators] == [toy] and covered.tasks == ("gaussian-pairs-1x1-rho0.75",)


def test_white_box_estimators_read_a_channels_clean_rows_and_channel_only_ones_skip_other_tasks(tmp_path, monkeypatch):
    from mibench import resolver
    from tests.runner.toys import channel_task

    toy = channel_task()
    real = resolver.resolve_task
    monkeypatch.setattr(
        resolver, "resolve_task", lambda task_id, records=None: toy if task_id == toy.id else real(task_id, records)
    )
    suite = Suite(
        name="channels",
        tasks=(toy.id, "gaussian-pairs-1x1-rho0.75"),
        estimators=(
            EstimatorSpec("tests.runner.toys:ReportsItsInput"),
            EstimatorSpec("tests.runner.toys:NeedsAChannel"),
            EstimatorSpec("gaussian"),
        ),
        sample_sizes=(50,),
        repetitions=1,
    )
    summary = run_suite(suite, store=tmp_path / "s.sqlite", executor="inline", progress=False)
    assert summary.n_jobs == 5 and summary.counts["ok"] == 5  # no NeedsAChannel job on the Gaussian task
    with ResultsStore(tmp_path / "s.sqlite") as store:
        frame = store.to_dataframe().set_index(["task_id", "estimator"])
    _, clean_y = toy.sample_clean(50, frame.loc[(toy.id, "gaussian"), "seed"])
    for name in ("tests.runner.toys:ReportsItsInput", "tests.runner.toys:NeedsAChannel"):
        row = frame.loc[(toy.id, name)]
        info = json.loads(row["info"])
        assert row["estimate"] == clean_y.sum()  # the clean values of the very rows the others saw with noise
        assert info["white_box"] is True and info["task_context"] == {"noise_std": 0.5, "target": "input"}
    plain = json.loads(frame.loc[("gaussian-pairs-1x1-rho0.75", "tests.runner.toys:ReportsItsInput"), "info"])
    assert "white_box" not in plain and plain["noise_std"] == 1.0  # no channel: its own defaults


@pytest.mark.parametrize("executor", ["process", "inline"])
def test_keyboardinterrupt_or_sys_exit_inside_a_job_is_that_jobs_error(tmp_path, executor):
    # Found by use: a plugin raising KeyboardInterrupt ended the run with nothing stored (and every rerun stopped
    # at the same job); one calling sys.exit(0) made a script calling mibench.run exit 0 silently.
    suite = Suite(
        name="test-base-exceptions",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=(
            spec("RaisesBaseException", how="keyboard-interrupt"),
            spec("RaisesBaseException", how="exit"),
            EstimatorSpec("gaussian"),
        ),
        sample_sizes=(50,),
        repetitions=2,
    )
    summary = run_suite(suite, store=tmp_path / "s.sqlite", jobs=2, executor=executor, progress=False)
    assert summary.counts == {"ok": 2, "error": 4, "timeout": 0, "memory": 0} and not summary.interrupted
    with ResultsStore(tmp_path / "s.sqlite") as store:
        errors = sorted(store.to_dataframe().dropna(subset=["error"])["error"].str.split("\n").str[0])
        assert [run["state"] for run in store.runs()] == ["finished"]
    assert errors == ["KeyboardInterrupt: pressed inside the estimator"] * 2 + ["SystemExit: 0"] * 2
