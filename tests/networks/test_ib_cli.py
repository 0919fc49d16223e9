"""``mibench ib run`` / ``ib report`` through click's test runner: outputs, resume and user errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mibench.ib_cli import USER_ERROR_EXIT, ib

FILES = ["manifest.json", "planes.csv", "fidelity.csv", "findings.json", "planes.png", "report.md"]


def _run_smoke_relu(out, estimators: str):
    """``mibench ib run`` with the smoke preset, ReLU only, the given estimators, into ``out``."""
    args = ["run", "--preset", "smoke", "--activations", "relu", "--estimators", estimators, "--out", str(out)]
    return CliRunner().invoke(ib, [*args, "--no-progress"])


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("ibcli") / "study"
    result = _run_smoke_relu(out, "binning")
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_writes_every_output(study_dir) -> None:
    out, output = study_dir
    for name in FILES:
        assert (out / name).is_file(), name
    assert list((out / "records").glob("*.npz"))
    assert "1 run(s) (1 trained, 0 reused)" in output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["activations"] == ["relu"]
    assert [e["name"] for e in manifest["config"]["estimators"]] == ["binning"]


def test_run_again_reuses_and_report_rescores(study_dir) -> None:
    out, _ = study_dir
    (out / "report.md").unlink()
    again = _run_smoke_relu(out, "none")
    assert again.exit_code == 0, again.output
    assert "(0 trained, 1 reused)" in again.output
    (out / "findings.json").unlink()
    report = CliRunner().invoke(ib, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert (out / "findings.json").is_file() and (out / "report.md").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--preset", "smoke", "--estimators", "no-such-estimator"], "not available"),
        (["run", "--preset", "smoke", "--activations", "sigmoid"], "unknown activation"),
        (["run", "--preset", "smoke", "--seeds", "0"], "--seeds"),
        (["run", "--preset", "smoke", "--data", "no-such-data"], "unknown data set"),
        (["run", "--preset", "smoke", "--hidden", "4,x"], "--hidden"),
    ],
)
def test_user_errors_exit_2(tmp_path, args, message) -> None:
    result = CliRunner().invoke(ib, [*args, "--out", str(tmp_path / "o"), "--no-progress"])
    assert result.exit_code == USER_ERROR_EXIT, result.output
    assert "error:" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_report_errors_exit_2(tmp_path, study_dir) -> None:
    result = CliRunner().invoke(ib, ["report", str(tmp_path / "missing")])
    assert result.exit_code == USER_ERROR_EXIT and "error:" in result.output
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(ib, ["report", str(tmp_path / "empty")])
    assert result.exit_code == USER_ERROR_EXIT and "planes.csv" in result.output
    out, _ = study_dir
    result = CliRunner().invoke(
        ib, ["run", "--preset", "smoke", "--activations", "relu", "--epochs", "9", "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == USER_ERROR_EXIT and "other training settings" in result.output
