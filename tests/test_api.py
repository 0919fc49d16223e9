"""The public API at the package root, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import mibench
import mibench.runner


def test_public_names():
    for name in ("list_estimators", "get_estimator", "list_tasks", "get_task", "run", "list_suites", "get_suite"):
        assert callable(getattr(mibench, name)), name
    assert set(mibench.__all__) >= {"list_estimators", "get_estimator", "list_tasks", "get_task", "run"}
    assert mibench.__version__


def test_api_round_trip():
    assert {"ksg", "gaussian"} <= set(mibench.list_estimators())
    estimator = mibench.get_estimator("ksg", k=5)
    assert estimator.get_params() == {"k": 5}
    task = mibench.get_task("gaussian-pairs-1x1-rho0.75")
    x, y = task.sample(2000, seed=0)
    assert abs(estimator.estimate(x, y) - task.mi) < 0.15  # KSG's SD at n=2000 is ~0.02 nats; 0.15 is > 5 SD
    assert [s.name for s in mibench.list_suites()] == [
        "smoke",
        "quick",
        "bmi",
        "standard",
        "networks",
        "highdim",
        "full",
    ]
    assert mibench.get_suite("smoke").n_jobs == 24


def test_import_is_cheap_and_listing_never_imports_torch():
    code = (
        "import sys, mibench; heavy = [m for m in ('torch', 'pandas', 'matplotlib', 'sklearn') if m in sys.modules];"
        "mibench.list_tasks(); mibench.list_estimators(); mibench.get_estimator('ksg');"
        "print(','.join(heavy) or '-', 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["-", "False"]


def test_top_level_functions_are_typed():
    import inspect

    for name in ("list_estimators", "get_estimator", "list_tasks", "get_task", "list_suites", "get_suite", "run"):
        signature = inspect.signature(getattr(mibench, name))
        assert signature.return_annotation is not inspect.Signature.empty, name
        assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), name
    run = inspect.signature(mibench.run)
    assert run.return_annotation == "pd.DataFrame" and run.parameters["records_dir"].default is None
    assert set(run.parameters) == set(inspect.signature(mibench.runner.run_suite).parameters)
    assert "records_dir" in mibench.run.__doc__


def test_run_with_a_records_directory(tmp_path):
    from mibench.suites import EstimatorSpec, Suite
    from tests.runner.toys import tiny_record

    name, _ = tiny_record(tmp_path / "records")
    suite = Suite(
        name="api-network",
        tasks=(f"{name}-e1-l2-ty",),
        estimators=(EstimatorSpec("tests.runner.toys:EchoesContext"),),
        sample_sizes=(4,),
        repetitions=1,
    )
    frame = mibench.run(suite, store=tmp_path / "s.sqlite", executor="inline", records_dir=tmp_path / "records")
    assert len(frame) == 1 and frame.loc[0, "status"] == "ok" and frame.loc[0, "family"] == "network"


def test_the_full_suite_covers_every_task_and_built_in_estimator_up_to_n_100000():
    from mibench.estimators.registry import registration

    full = mibench.get_suite("full")
    assert set(full.tasks) == {task.id for task in mibench.list_tasks()}
    built_in = {name for name in mibench.list_estimators() if registration(name).source == "built-in"}
    assert {spec.name for spec in full.estimators} == built_in
    assert full.sample_sizes[-1] == 100_000 and full.repetitions == 10
    white_box = [spec for spec in full.estimators if spec.name in ("kde-lower", "kde-upper", "gaussian-convolution")]
    assert all(spec.tasks == ("channel-*",) for spec in white_box)
