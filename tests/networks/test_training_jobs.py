"""A study's training runs as jobs: the same records inline, in local processes and on a real local Dask cluster;
a failed run reported after the others are saved; workers that cannot write the records refused; Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("distributed")


from mibench.errors import WorkerPoolError
from mibench.networks import records as store
from mibench.networks.config import preset
from mibench.networks.restarts import dataset_of, network_spec
from mibench.networks.study import RESULTS_STORE, run_study
from mibench.networks.training import record_name
from mibench.networks.training_jobs import TrainingError, train_runs, training_jobs
from mibench.runner import ResultsStore
from mibench.runner.dask_executor import DaskTarget
from tests.dask_cluster import local_cluster

REPO = Path(__file__).resolve().parents[2]
#: Two runs of 8 epochs each (the smoke preset's activations tanh and relu, seed 0).
SMOKE = preset("smoke", estimators=("binning", "gaussian"))


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as local:
        yield local


def _digests(folder: Path) -> dict[str, str]:
    return {path.stem: store.load_record(path).digest for path in sorted(folder.glob("*.npz"))}


def _train(folder: Path, **backend) -> list:
    folder.mkdir(parents=True)
    return train_runs(training_jobs(SMOKE, folder.parent, folder), **backend)


def test_a_record_is_the_same_trained_inline_in_processes_and_on_dask(tmp_path, cluster) -> None:
    inline = _train(tmp_path / "inline" / "records", executor="inline")
    processes = _train(tmp_path / "processes" / "records", executor="process", workers=2)
    on_dask = _train(tmp_path / "dask" / "records", dask_target=DaskTarget(cluster.scheduler_address))
    assert [run.record for run in inline] == ["net-12bit-tanh-s0", "net-12bit-relu-s0"]
    assert [run.record for run in processes] == [run.record for run in on_dask] == [run.record for run in inline]
    assert all(run.trained for run in inline + processes + on_dask)
    reference = _digests(tmp_path / "inline" / "records")
    assert len(reference) == 2
    assert _digests(tmp_path / "processes" / "records") == reference
    assert _digests(tmp_path / "dask" / "records") == reference


def test_a_failed_run_is_reported_after_the_others_are_saved(tmp_path) -> None:
    config = SMOKE.replace(max_restarts=0, restart_accuracy=0.5, restart_epoch=10**6)
    folder = tmp_path / "study" / "records"
    folder.mkdir(parents=True)
    # relu's only attempt is already marked rejected by the restart rule, so that run cannot succeed
    rejected = record_name("12bit", network_spec(config, dataset_of(config), "relu"), 0)
    store.write_json(store.rejected_file(folder, rejected), {"record": rejected, "epoch": 1, "train_accuracy": 0.1})
    lines: list[str] = []
    with pytest.raises(TrainingError, match=r"1 of 2 training run\(s\) failed.*relu seed 0.*every one of 1 attempts"):
        train_runs(training_jobs(config, folder.parent, folder), executor="process", workers=2, progress=lines.append)
    assert [path.stem for path in folder.glob("*.npz")] == ["net-12bit-tanh-s0"]  # the other run was saved
    assert any(line.startswith("trained net-12bit-tanh-s0") for line in lines)
    assert any(line.startswith("failed: relu seed 0") for line in lines)


def test_dask_workers_that_cannot_write_the_records_directory_are_refused_before_training(tmp_path, cluster) -> None:
    missing = tmp_path / "not-shared" / "records"
    jobs = training_jobs(SMOKE, tmp_path, missing)
    with pytest.raises(WorkerPoolError, match=r"cannot write the records directory .*shared file system"):
        train_runs(jobs, dask_target=DaskTarget(cluster.scheduler_address))
    assert not missing.exists()


def _rows(path: Path) -> dict[str, tuple]:
    with ResultsStore(path, read_only=True) as results:
        frame = results.to_dataframe()
    estimates = frame["estimate"].astype(object).where(frame["estimate"].notna(), None)  # NaN != NaN
    return dict(zip(frame["key"], zip(frame["status"], estimates, strict=True), strict=True))


def test_a_study_on_dask_trains_and_estimates_the_same_as_locally(tmp_path, cluster) -> None:
    local = run_study(SMOKE, tmp_path / "local", progress=False, jobs=2)
    remote = run_study(SMOKE, tmp_path / "dask", progress=False, scheduler=cluster.scheduler_address)
    assert local.n_jobs == remote.n_jobs > 0 and remote.counts == local.counts and remote.counts["ok"] > 0
    assert _digests(tmp_path / "dask" / store.RECORDS) == _digests(tmp_path / "local" / store.RECORDS)
    assert _rows(tmp_path / "dask" / RESULTS_STORE) == _rows(tmp_path / "local" / RESULTS_STORE)


def _alive(psutil, processes) -> int:
    """How many of ``processes`` are running (not ended, not zombies)."""
    alive = 0
    for process in processes:
        try:
            alive += process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            pass
    return alive


def test_ctrl_c_while_training_stops_the_study_and_leaves_no_process(tmp_path) -> None:
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "study"
    command = [sys.executable, "-m", "mibench", "ib", "run", "--preset", "smoke", "--epochs", "100000"]
    command += ["--estimators", "binning", "--out", str(out), "--jobs", "2", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    parent = psutil.Process(process.pid)
    seen: list = []
    try:
        # wait until both runs are training in their worker processes, then interrupt as a terminal would
        while True:
            assert process.poll() is None, process.communicate()
            manifest = out / store.MANIFEST
            training = manifest.is_file() and json.loads(manifest.read_text())["status"] == "training"
            seen = parent.children(recursive=True)
            if training and _alive(psutil, seen) >= 3:  # the fork server and 2 workers
                break
            assert time.monotonic() < deadline, "training did not start in time"
        time.sleep(2)
        seen = parent.children(recursive=True)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        _, alive = psutil.wait_procs(seen, timeout=20)
        assert [child for child in alive if child.status() != psutil.STATUS_ZOMBIE] == []
        assert list((out / store.RECORDS).glob("*.npz")) == []  # nothing half-written
    finally:  # never leave a 100 000-epoch study running, whatever failed
        for leftover in [parent, *seen]:
            with contextlib.suppress(psutil.Error):
                leftover.kill()
