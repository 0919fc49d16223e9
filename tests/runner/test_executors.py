"""Ctrl-C stops a run from the coordinator: tested on a real ``mibench run`` process, with SIGINT sent to the whole
process group (as a terminal does) and to the coordinator alone, with local worker processes and on a local Dask
cluster; jobs in flight are not stored as errors, the run is marked interrupted, and the same command resumes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mibench.runner import ResultsStore

ROOT = Path(__file__).resolve().parents[2]

SUITE = """
name = "test-interrupt"
tasks = ["gaussian-pairs-1x1-rho0.75", "gaussian-pairs-1x1-mi1"]
sample_sizes = [50, 100]
repetitions = 4
timeout = 60

[[estimators]]
name = "tests.runner.faulty:Sleepy"
params = { seconds = 0.5 }
"""
N_JOBS = 2 * 2 * 4


def _stored(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM results").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _start(tmp_path: Path, backend: str) -> tuple[subprocess.Popen[str], list[str]]:
    (tmp_path / "suite.toml").write_text(SUITE)
    command = [sys.executable, "-m", "mibench", "run", "--suite-file", str(tmp_path / "suite.toml")]
    command += ["--store", str(tmp_path / "s.sqlite"), "--no-progress"]
    command += ["--dask-local", "2"] if backend == "dask" else ["--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A shell that starts background jobs without job control ignores SIGINT in them, and Python then keeps it
        # ignored: give the run the default disposition, as a terminal's foreground job has.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    return process, command


@pytest.mark.parametrize(
    ("backend", "target"),
    [("process", "process group"), ("process", "coordinator"), pytest.param("dask", "process group", id="dask")],
)
def test_ctrl_c_stops_the_run_stores_no_job_in_flight_and_the_rerun_resumes(tmp_path, backend, target):
    if backend == "dask":
        pytest.importorskip("distributed")
    store = tmp_path / "s.sqlite"
    process, command = _start(tmp_path, backend)
    deadline = time.monotonic() + 120
    while _stored(store) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert _stored(store) >= 2, process.communicate()
    sent = time.monotonic()
    if target == "process group":
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in err, err
    assert time.monotonic() - sent < 30  # stopped, not finished: the rest of the jobs would take longer
    with ResultsStore(store) as results:
        frame = results.to_dataframe()
        assert [run["state"] for run in results.runs()] == ["interrupted"]
    assert 2 <= len(frame) < N_JOBS and (frame["status"] == "ok").all()
    rerun = subprocess.run(
        command, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(frame)} already stored" in rerun.stdout
    with ResultsStore(store) as results:
        assert len(results.to_dataframe()) == N_JOBS and (results.to_dataframe()["status"] == "ok").all()
