"""A run killed with SIGKILL mid-way loses no finished job and duplicates none when rerun, and the rerun marks the
killed run ``interrupted``; a second run on a store whose run is alive is refused and changes nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from mibench.runner import ResultsStore, run_suite
from tests.runner.faulty import SLOW_SUITE

REPO = Path(__file__).resolve().parents[2]
RUN_SLOW = (
    "import sys; from mibench.runner import run_suite; from tests.runner.faulty import SLOW_SUITE; "
    "run_suite(SLOW_SUITE, store=sys.argv[1], jobs=2, progress=False)"
)


def _stored(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT key, finished_at FROM results ORDER BY key").fetchall()
    except sqlite3.OperationalError:  # schema not created yet
        return []


def test_sigkill_then_rerun_loses_and_duplicates_nothing(tmp_path):
    store_path = tmp_path / "results.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_SLOW, str(store_path)],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_stored(store_path)) < 6:
            assert process.poll() is None, f"run ended early: {process.stderr.read().decode()}"
            assert time.monotonic() < deadline, "no jobs landed within 60 s"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers, mid-run
        process.wait()
    before = _stored(store_path)
    assert 6 <= len(before) < SLOW_SUITE.n_jobs, "the kill should land mid-run"

    summary = run_suite(SLOW_SUITE, store=store_path, jobs=2, progress=False)

    assert summary.n_already_done == len(before)
    assert summary.n_run == SLOW_SUITE.n_jobs - len(before)
    after = _stored(store_path)
    assert len(after) == SLOW_SUITE.n_jobs == len({key for key, _ in after})
    assert set(before) <= set(after)  # finished rows untouched: same keys, same finish times
    with ResultsStore(store_path) as store:
        frame = store.to_dataframe()
        assert (frame["status"] == "ok").all()
        runs = store.runs()
    # the killed run never finished; the rerun found its coordinator gone and marked it
    assert [run["state"] for run in runs] == ["interrupted", "finished"]
    assert runs[0]["finished_at"] is not None and runs[0]["n_done"] == len(before)


def _script() -> list[str]:
    installed = Path(sys.executable).with_name("mibench")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "mibench.cli"]


def _runs(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT run_id, state FROM runs ORDER BY started_at").fetchall()
    except sqlite3.OperationalError:  # schema not created yet
        return []


def test_a_second_run_on_a_store_in_use_is_refused_and_the_first_finishes_intact(tmp_path):
    go = tmp_path / "go"  # the first run's jobs wait for this file, so it runs until the test lets it finish
    suite_file = tmp_path / "slow.toml"
    suite_file.write_text(
        'name = "slow-one"\ntasks = ["gaussian-pairs-1x1-rho0.75"]\nsample_sizes = [50]\nrepetitions = 8\n'
        'timeout = 200\n\n[[estimators]]\nname = "tests.runner.faulty:WaitsForFile"\n'
        f"params = {{ path = {json.dumps(str(go))} }}\n"
    )
    store_path = tmp_path / "results.sqlite"
    command = [*_script(), "run", "--suite-file", str(suite_file), "--store", str(store_path), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the console script must import the tests' estimators
    first = subprocess.Popen(
        [*command, "--jobs", "1"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not _runs(store_path):
            assert first.poll() is None, f"run ended early: {first.stderr.read()}"
            assert time.monotonic() < deadline, "the first run did not start within 120 s"
            time.sleep(0.05)
        ((run_id, state),) = _runs(store_path)
        assert state == "running"
        # the same suite with other options (a time limit every job exceeds): it would store timeouts over oks
        second = subprocess.run(
            [*command, "--timeout", "0.01", "--retry-failed"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert first.poll() is None, "the first run should still be running"
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: the results store {store_path} is in use by run ")
        assert run_id in lines[0] and f"pid {first.pid}" in lines[0] and "another --store" in lines[0]
        assert _runs(store_path) == [(run_id, "running")]  # the refused run recorded nothing
        go.touch()
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert "8 run now (8 ok, 0 error, 0 timeout" in out
    assert _runs(store_path) == [(run_id, "finished")]
    with sqlite3.connect(store_path) as db:
        assert db.execute("SELECT status, run_id, COUNT(*) FROM results GROUP BY status").fetchall() == [
            ("ok", run_id, 8)
        ]
