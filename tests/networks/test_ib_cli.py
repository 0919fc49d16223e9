"""``mibench ib run`` / ``ib report``: outputs, resume through the runner's store (also after SIGKILL), user errors."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mibench.cli_support import USER_ERROR_EXIT
from mibench.ib_cli import ib

pytest.importorskip("torch")

FILES = ["manifest.json", "results.sqlite", "planes.csv", "fidelity.csv", "findings.json", "planes.png", "report.md"]
REPO = Path(__file__).resolve().parents[2]
SLEEPY = "tests.networks.slow_estimator:Sleepy"


def _run_smoke_relu(out, estimators: str):
    """``mibench ib run`` with the smoke preset, ReLU only, the given estimators, into ``out``."""
    args = ["run", "--preset", "smoke", "--activations", "relu", "--estimators", estimators, "--out", str(out)]
    return CliRunner().invoke(ib, [*args, "--jobs", "1", "--no-progress"])


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
    assert "1 run(s) (1 trained, 0 reused); 24 estimator jobs (0 already stored; 24 ok)" in output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["activations"] == ["relu"]
    assert [e["name"] for e in manifest["config"]["estimators"]] == ["binning"]


def test_run_again_reuses_and_report_rescores(study_dir) -> None:
    out, _ = study_dir
    (out / "report.md").unlink()
    again = _run_smoke_relu(out, "binning")
    assert again.exit_code == 0, again.output
    assert "(0 trained, 1 reused); 24 estimator jobs (24 already stored; none run now)" in again.output
    (out / "findings.json").unlink()
    report = CliRunner().invoke(ib, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert (out / "findings.json").is_file() and (out / "report.md").is_file()


def test_noise_reads_the_quantized_studys_records(study_dir, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--noise`` without ``--out`` or ``--records``: ``ib-smoke-b0.1``, with the records of ``ib-smoke``."""
    import shutil

    out, _ = study_dir
    monkeypatch.chdir(tmp_path)
    shutil.copytree(out / "records", tmp_path / "ib-smoke" / "records")
    args = ["run", "--preset", "smoke", "--activations", "relu", "--estimators", "binning", "--noise", "0.1"]
    result = CliRunner().invoke(ib, [*args, "--jobs", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "records: ib-smoke/records" in result.output
    assert "1 run(s) (0 trained, 1 reused); 8 estimator jobs (0 already stored; 8 ok)" in result.output
    noisy = tmp_path / "ib-smoke-b0.1"
    for name in [*FILES, "clustering.csv", "clustering.png"]:
        assert (noisy / name).is_file(), name
    manifest = json.loads((noisy / "manifest.json").read_text())
    assert manifest["config"]["noise_std"] == 0.1 and manifest["config"]["layers"] == [5, 6]
    assert not (noisy / "records").exists()
    report = CliRunner().invoke(ib, ["report", str(noisy)])
    assert report.exit_code == 0 and "clustering_figure" in report.output
    bad = CliRunner().invoke(ib, [*args[:-1], "0.05", "--out", str(noisy), "--no-progress"])
    assert bad.exit_code == USER_ERROR_EXIT and "noise level" in bad.output


def _stored_rows(store: Path) -> list[tuple[str, str, str]]:
    if not store.is_file():
        return []
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute("SELECT key, status, run_id FROM results ORDER BY key").fetchall()
    except sqlite3.OperationalError:  # the table is not created yet
        return []


def test_killed_mid_run_resumes_without_losing_anything(tmp_path) -> None:
    """SIGKILL the whole `mibench ib run` while its estimator jobs run, run it again: every job stored once, the
    rows finished before the kill kept as they were, the rest computed by the second run."""
    out = tmp_path / "killed"
    store = out / "results.sqlite"
    command = [
        sys.executable,
        "-c",
        "from mibench.cli import main; main()",
        "ib",
        "run",
        "--preset",
        "smoke",
        "--activations",
        "relu",
        "--estimators",
        f"binning,{SLEEPY}",
        "--out",
        str(out),
        "--jobs",
        "2",
        "--no-progress",
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while len(_stored_rows(store)) < 6:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no job was stored in time"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = _stored_rows(store)
    assert 6 <= len(before) < 48  # killed in the middle of the 48 jobs
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    after = _stored_rows(store)
    assert len(after) == 48 and len({key for key, _, _ in after}) == 48
    assert all(status == "ok" for _, status, _ in after)
    assert set(before) <= set(after)  # nothing stored before the kill was lost or recomputed
    assert f"{len(before)} already stored" in finished.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--preset", "smoke", "--estimators", "no-such-estimator"], "unknown estimator"),
        (["run", "--preset", "smoke", "--activations", "sigmoid"], "unknown activation"),
        (["run", "--preset", "smoke", "--seeds", "0"], "--seeds"),
        (["run", "--preset", "smoke", "--data", "no-such-data"], "unknown data set"),
        (["run", "--preset", "smoke", "--hidden", "4,x"], "--hidden"),
        (["run", "--preset", "smoke", "--layers", "1,x"], "--layers"),
        (["run", "--preset", "smoke", "--layers", "9", "--estimators", "binning"], "do not exist"),
    ],
)
def test_user_errors_exit_2(tmp_path, args, message) -> None:
    result = CliRunner().invoke(ib, [*args, "--out", str(tmp_path / "o"), "--no-progress"])
    assert result.exit_code == USER_ERROR_EXIT, result.output
    assert "error:" in result.output or "Error:" in result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_report_errors_exit_2(tmp_path, study_dir) -> None:
    result = CliRunner().invoke(ib, ["report", str(tmp_path / "missing")])
    assert result.exit_code == USER_ERROR_EXIT and "error:" in result.output
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(ib, ["report", str(tmp_path / "empty")])
    assert result.exit_code == USER_ERROR_EXIT and "not a study directory" in result.output
    out, _ = study_dir
    result = CliRunner().invoke(
        ib, ["run", "--preset", "smoke", "--activations", "relu", "--epochs", "9", "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == USER_ERROR_EXIT and "other training settings" in result.output
