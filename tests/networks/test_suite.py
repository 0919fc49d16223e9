"""The ``networks`` suite: ids from settings alone (listing trains nothing), records trained once when a run needs
them, truths filled before the workers start, and resume through the runner on the smallest configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mibench.networks import suite as networks_suite
from mibench.networks.ids import parse_task_id
from mibench.networks.suite import SUITE_NETWORKS, SuiteNetworks, prepare_records, suite_record_names, suite_task_ids
from mibench.suites import EstimatorSpec, Suite, get_suite

REPO = Path(__file__).resolve().parents[2]
#: The smallest configuration: one ReLU record of 2 epochs, its output layer, one noise level.
SMALL = SuiteNetworks(
    activations=("relu",), epochs=2, log_count=1, task_epochs=(0, 2), layers=(6,), noise_levels=(0.1,)
)


def test_ids_come_from_the_settings_alone() -> None:
    ids = suite_task_ids()
    assert suite_record_names() == {"tanh": "net-12bit-tanh-s0", "relu": "net-12bit-relu-s0"}
    per_record = len(SUITE_NETWORKS.task_epochs) * len(SUITE_NETWORKS.layers) * 2 * (1 + 2)
    assert len(ids) == len(set(ids)) == 2 * per_record
    parts = [parse_task_id(tid) for tid in ids]
    assert {p["noise_std"] for p in parts} == {None, 0.01, 0.1}
    assert {p["epoch"] for p in parts} == {0, 200} and {p["layer"] for p in parts} == {2, 6}
    assert set(SUITE_NETWORKS.task_epochs) <= set(SUITE_NETWORKS.logged_epochs())
    suite = get_suite("networks")
    assert suite.tasks == ids and suite.sample_sizes == (4096,) and suite.repetitions == 3
    assert [e.name for e in suite.estimators] == [
        "ksg",
        "binning",
        "kde-upper",
        "kde-lower",
        "gaussian-convolution",
        "gaussian",
    ]
    noisy = sum(p["noise_std"] is not None for p in parts)
    assert suite.n_jobs == 3 * (5 * len(ids) + noisy)  # the channel-only estimator on the noisy tasks alone


def test_listing_the_suites_trains_nothing_and_imports_no_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from mibench.cli import main\n"
        "try:\n    main(['list', 'suites'])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MIBENCH_STORE"} | {"PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "networks" in out and out.strip().endswith("TORCH False")
    assert list(tmp_path.iterdir()) == []  # no store, no records


def test_prepare_leaves_other_runs_alone(tmp_path: Path) -> None:
    default = tmp_path / "default"
    assert prepare_records(["gaussian-pairs-1x1-rho0.5"], None, default_dir=default) is None
    assert prepare_records(["gaussian-pairs-1x1-rho0.5"], tmp_path, default_dir=default) == tmp_path
    # another suite's network tasks, even with the suite's record names: no default directory, nothing trained
    own = suite_task_ids()[:3]
    for suite_name in (None, "my-suite"):
        assert prepare_records(own, None, default_dir=default, suite_name=suite_name) is None
        folder = tmp_path / "r"
        assert prepare_records(own, folder, default_dir=default, suite_name=suite_name) == folder
    assert not default.exists() and not (tmp_path / "r").exists()


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The suite's mechanics on :data:`SMALL`, with the default store (and so the default records) in ``tmp_path``."""
    pytest.importorskip("torch")
    monkeypatch.setattr(networks_suite, "SUITE_NETWORKS", SMALL)
    monkeypatch.setenv("MIBENCH_STORE", str(tmp_path / "store" / "results.sqlite"))
    noisy = ("*-xt-b*", "*-ty-b*")
    suite = Suite(
        name="networks",  # the built-in suite's name: the one that trains its records
        tasks=suite_task_ids(),
        estimators=(
            EstimatorSpec("binning"),
            EstimatorSpec("kde-upper"),
            EstimatorSpec("gaussian-convolution", tasks=noisy),
        ),
        sample_sizes=(4096,),
        repetitions=2,
        timeout=120.0,
    )
    return suite, tmp_path / "store" / "records"


def test_the_suite_trains_once_fills_truths_and_resumes(small, tmp_path: Path, capsys) -> None:
    from mibench.networks.noisy import truth_cache_path
    from mibench.runner import ResultsStore, run_suite

    suite, records = small
    store = tmp_path / "store" / "results.sqlite"
    quantized = [tid for tid in suite.tasks if parse_task_id(tid)["noise_std"] is None]
    partial = run_suite(suite, store=store, tasks=quantized, executor="inline", progress=True)
    name = suite_record_names(SMALL)["relu"]
    said = capsys.readouterr().err
    assert f"[networks] records directory: {records.resolve()}" in said and f"[networks] training {name}" in said
    record = records / f"{name}.npz"
    assert record.is_file() and partial.n_run == partial.n_jobs == 2 * 2 * 2 * 2  # tasks x reps x estimators
    trained_at = record.stat().st_mtime_ns
    assert not truth_cache_path(records, name).exists()  # no noisy task asked yet

    # the full run: the record reused, the truths computed before the workers start, only missing jobs run
    full = run_suite(suite, store=store, jobs=2, progress=False)
    assert record.stat().st_mtime_ns == trained_at
    assert full.n_already_done == partial.n_jobs and full.n_run == full.n_jobs - partial.n_jobs
    assert full.n_jobs == 2 * (4 * 2 + 4 * 3) and full.counts["ok"] == full.n_run  # reps x (tasks x estimators)
    cache = truth_cache_path(records, name)
    entries = json.loads(cache.read_text())["entries"]
    assert len(entries) == 4  # (epoch, pair) of the output layer at b = 0.1
    written = (cache.stat().st_mtime_ns, cache.read_bytes())

    # a rerun computes nothing, neither jobs nor truths (no worker or coordinator rewrote the cache)
    again = run_suite(suite, store=store, jobs=2, progress=False)
    assert again.n_run == 0 and again.n_already_done == again.n_jobs
    assert (cache.stat().st_mtime_ns, cache.read_bytes()) == written
    with ResultsStore(store, create=False) as results:
        frame = results.to_dataframe()
        options = [json.loads(run["options"]) for run in results.runs()]
    assert len(frame) == full.n_jobs and set(frame["status"]) == {"ok"}
    assert {opts["records_dir"] for opts in options} == {str(records.resolve())}
    noisy_rows = frame[frame["task_id"].str.contains("-b0.1")]
    assert set(frame["family"]) == {"network"} and (noisy_rows["mi_stderr"] > 0).any()
    assert set(noisy_rows["true_mi"]) != set(frame[~frame["task_id"].str.contains("-b0.1")]["true_mi"])
    convolution = frame[frame["estimator"] == "gaussian-convolution"]
    assert len(convolution) == 2 * 4 and convolution["task_id"].str.contains("-b").all()
    assert json.loads(convolution["info"].iloc[0])["white_box"] is True
