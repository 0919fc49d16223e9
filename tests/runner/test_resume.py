"""A run killed with SIGKILL mid-way loses no finished job and duplicates none when rerun."""

from __future__ import annotations

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
    assert [run["state"] for run in runs] == ["running", "finished"]  # the killed run never finished
