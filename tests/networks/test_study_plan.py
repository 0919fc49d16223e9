"""``mibench ib run --dry-run``: a study's training runs and estimator jobs counted without training, what is done
already, and the CPU time of the rest from the records and stores of studies beside it; nothing is created."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")

from click.testing import CliRunner

from mibench.cli import main
from mibench.networks.config import preset
from mibench.networks.study import run_study
from mibench.networks.study_plan import SHORT_RUN_EPOCHS, plan_study

SMOKE = preset("smoke", estimators=("binning", "gaussian"))


@pytest.fixture(scope="module")
def beside(tmp_path_factory: pytest.TempPathFactory):
    """A folder holding one finished smoke study, ``ib-smoke``."""
    folder = tmp_path_factory.mktemp("studies")
    run_study(SMOKE, folder / "ib-smoke", progress=False, jobs=2)
    return folder


def _n_jobs(config) -> int:
    layers, pairs = 6, 2  # the 12-bit network: 5 hidden layers and the output
    runs = len(config.activations) * len(config.seeds)
    return runs * len(config.estimated_epochs()) * layers * pairs * len(config.estimators)


def test_the_paper_preset_is_counted_without_training_and_without_measurements(tmp_path) -> None:
    config = preset("paper")
    plan = plan_study(config, tmp_path / "ib-paper")
    assert (plan.n_runs, plan.n_runs_trained, plan.epochs) == (100, 0, 8000)
    assert plan.training_seconds is None
    assert plan.estimators is not None
    assert plan.estimators.n_jobs == plan.estimators.n_to_run == _n_jobs(config)
    assert plan.estimators.n_estimated == 0
    assert "no measured training time" in plan.describe(workers=2)
    assert list(tmp_path.iterdir()) == []


def test_a_finished_study_plans_nothing_to_do(beside) -> None:
    plan = plan_study(SMOKE, beside / "ib-smoke")
    assert (plan.n_runs, plan.n_runs_trained, plan.n_runs_to_train) == (2, 2, 0)
    assert plan.estimators is not None
    assert plan.estimators.n_jobs == plan.estimators.n_stored == _n_jobs(SMOKE)
    assert plan.estimators.n_to_run == 0


def test_times_come_from_the_studies_beside_it(beside) -> None:
    config = preset("default", estimators=("binning", "gaussian"), seeds=(0, 1))
    plan = plan_study(config, beside / "ib-default")
    assert (plan.n_runs, plan.n_runs_trained) == (4, 0)
    # the smoke study's 2 records (one per activation) measured 8 epochs each
    assert (plan.n_measured_records, plan.measured_epochs) == (2, SMOKE.epochs) and SMOKE.epochs < SHORT_RUN_EPOCHS
    assert plan.training_seconds is not None and plan.training_seconds > 0 and math.isfinite(plan.training_seconds)
    assert "start-up dominates" in plan.describe()
    # every estimator job has a measured time: the same estimators at the same n on the same layers' dimensions
    assert plan.estimators is not None
    assert plan.estimators.n_estimated == plan.estimators.n_to_run == plan.estimators.n_jobs == _n_jobs(config)
    assert not (beside / "ib-default").exists()


def test_the_cli_prints_the_plan_and_creates_nothing(beside, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(beside)
    before = sorted(path.name for path in beside.iterdir())
    result = CliRunner().invoke(main, ["ib", "run", "--preset", "paper", "--dry-run", "--dask-local", "4"])
    assert result.exit_code == 0, result.output
    assert "study ib-paper: 100 training run(s) of 8000 epochs, 0 already trained, 100 to train" in result.output
    assert "estimated training time:" in result.output and "on 4 workers" in result.output
    assert "suite ib-paper:" in result.output
    assert sorted(path.name for path in beside.iterdir()) == before
