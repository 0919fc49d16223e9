"""Per-job limits: the memory limit (a job that grows beyond it is recorded as ``memory``), the process groups that
make a killed job's children die with it, and the size parser behind ``--memory-limit``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from mibench.runner import ResultsStore, run_suite
from mibench.runner.limits import (
    WorkerGroups,
    address_space_limit,
    default_memory_limit_mb,
    is_out_of_memory,
    parse_memory_size,
    physical_memory_mb,
    remove_stale_groups_folders,
)
from mibench.suites import EstimatorSpec, Suite
from tests.runner.faulty import spec


@pytest.mark.parametrize(
    ("text", "mib"),
    [("512M", 512.0), ("4G", 4096.0), ("4GiB", 4096.0), ("1.5g", 1536.0), ("2048", 2048.0), ("1T", 1024.0**2)],
)
def test_memory_sizes_parse_to_mib(text, mib):
    assert parse_memory_size(text) == mib


@pytest.mark.parametrize("text", ["", "lots", "4X", "-1G", "0", "1 G B"])
def test_a_bad_memory_size_is_a_clear_error(text):
    with pytest.raises(ValueError, match="memory size"):
        parse_memory_size(text)


def test_none_is_no_limit_and_the_default_shares_the_machine():
    assert parse_memory_size("none") is None and parse_memory_size("None") is None
    total = physical_memory_mb()
    assert total and default_memory_limit_mb(4) == pytest.approx(0.8 * total / 4)


def test_inside_the_limit_an_allocation_beyond_it_fails_and_the_limit_is_lifted_after():
    with address_space_limit(256.0), pytest.raises(MemoryError) as caught:
        np.ones(2**30 // 8)  # 1 GiB
    assert is_out_of_memory(caught.value)
    assert np.ones(2**28 // 8).sum() == 2**25  # 256 MiB again fine outside
    with address_space_limit(None):
        assert np.ones(2**27 // 8)[0] == 1.0
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB"))
    assert not is_out_of_memory(RuntimeError("boom"))


def _suite(*estimators: EstimatorSpec, timeout: float = 60.0) -> Suite:
    return Suite(
        name="test-limits",
        tasks=("gaussian-pairs-1x1-rho0.75",),
        estimators=estimators,
        sample_sizes=(50,),
        repetitions=1,
        timeout=timeout,
    )


@pytest.mark.parametrize("executor", ["process", "inline"])
def test_a_job_beyond_the_memory_limit_is_recorded_as_memory_and_one_within_it_runs(tmp_path, executor):
    # Found by use: with no limit, a 2 GB allocation was stored as ok.
    suite = _suite(spec("Allocates", megabytes=2048), spec("Allocates", megabytes=64))
    store = tmp_path / "s.sqlite"
    summary = run_suite(suite, store=store, jobs=2, executor=executor, progress=False, memory_limit_mb=1024)
    assert summary.counts == {"ok": 1, "error": 0, "timeout": 0, "memory": 1}
    with ResultsStore(store) as results:
        frame = results.to_dataframe().sort_values("status")
    memory = frame[frame.status == "memory"].iloc[0]
    assert "memory limit of 1024 MiB" in memory.error and "MemoryError" in memory.error
    assert "2.00 GiB" in memory.error  # what the job asked for, from numpy's message
    assert frame[frame.status == "ok"].iloc[0].estimate == 0.0


def test_the_default_limit_stops_an_allocation_the_machine_cannot_hold(tmp_path):
    # Found by use: only the kernel stopped an 80 GB allocation.
    huge = 4 * (physical_memory_mb() or 2**16)
    summary = run_suite(_suite(spec("Allocates", megabytes=huge)), store=tmp_path / "s.sqlite", jobs=2, progress=False)
    assert summary.counts["memory"] == 1


def test_a_bad_memory_limit_is_refused(tmp_path):
    from mibench.errors import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="memory_limit_mb"):
        run_suite(_suite(EstimatorSpec("gaussian")), store=tmp_path / "s.sqlite", memory_limit_mb=-5)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_a_timed_out_jobs_child_processes_die_with_it(tmp_path):
    # Found by use: a timed-out job's children survived, reparented to PID 1.
    pid_file = tmp_path / "child.pid"
    suite = _suite(spec("SpawnsAndHangs", pid_file=str(pid_file)), timeout=3.0)
    summary = run_suite(suite, store=tmp_path / "s.sqlite", jobs=1, progress=False)
    assert summary.counts["timeout"] == 1
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child)


def test_worker_groups_kill_the_group_of_a_worker_that_is_gone(tmp_path):
    groups = WorkerGroups(tmp_path / "groups")
    # A stand-in worker: a process that leads its own group and starts a grandchild in it, then exits.
    script = (
        "import os, subprocess, sys\n"
        "from mibench.runner.limits import WorkerGroups\n"
        f"WorkerGroups({str(tmp_path / 'groups')!r}).join()\n"
        "child = subprocess.Popen(['sleep', '300'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(child.pid, flush=True)\n"
    )
    worker = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    grandchild = int(worker.stdout.strip())
    assert not _gone(grandchild)
    assert groups.sweep() == 1
    deadline = time.monotonic() + 10
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(grandchild)
    assert groups.sweep() == 0 and not os.listdir(tmp_path / "groups")


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


def test_stale_groups_folders_of_owners_that_are_gone_are_removed(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f"mibench-workers-{dead}-abc"
    stale.mkdir()
    (stale / str(_dead_pid())).touch()  # a worker that is gone and left nothing running
    owned = tmp_path / f"mibench-dask-workers-{os.getpid()}-def"  # an owner still alive
    owned.mkdir()
    foreign = tmp_path / "mibench-report-xyz"  # not a groups folder
    foreign.mkdir()
    sleeper = subprocess.Popen(["sleep", "300"], start_new_session=True)  # a live group a dead owner recorded
    try:
        busy = tmp_path / f"mibench-training-{dead}-ghi"
        busy.mkdir()
        (busy / str(sleeper.pid)).touch()
        assert remove_stale_groups_folders(tmp_path) == 1
        assert sorted(path.name for path in tmp_path.iterdir()) == sorted([owned.name, foreign.name, busy.name])
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_groups_folders(tmp_path) == 1
    assert not busy.exists()


def test_a_run_leaves_no_groups_folder_and_clears_those_of_killed_runs(tmp_path, monkeypatch):
    # Found by use: every run killed with SIGKILL left an empty mibench-workers-* folder in the temporary directory.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / f"mibench-workers-{_dead_pid()}-left").mkdir()
    suite = _suite(EstimatorSpec("gaussian"), EstimatorSpec("ksg"))
    summary = run_suite(suite, store=tmp_path / "s.sqlite", jobs=2, progress=False)
    assert summary.counts["ok"] == 2
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("mibench-")] == []
