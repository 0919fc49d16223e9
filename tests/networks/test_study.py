"""The information-plane study on the one pipeline: records, a suite of network tasks through the runner and its
store, the planes table from store and records, the analysis; and its values unchanged by the move."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from mibench.errors import UnknownNameError
from mibench.networks import records as store
from mibench.networks.config import StudyConfig, preset
from mibench.networks.exact import information_plane
from mibench.networks.study import RESULTS_STORE, analyse_study, run_study, study_results
from mibench.report.information_plane import PLANE_COLUMNS, load_planes
from mibench.runner import ResultsStore
from mibench.units import bits_to_nats

FAILS = "tests.networks.slow_estimator:AlwaysFails"
REFERENCE = Path(__file__).parent / "data" / "smoke_planes_before_runner.json"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory):
    """The smoke study with the estimators of the reference run, one that always fails and one that is missing."""
    out = tmp_path_factory.mktemp("ib") / "smoke"
    config = preset(
        "smoke",
        estimators=("binning", "gaussian", "ksg", "kde-upper", FAILS, "no-such-estimator"),
        optional=("no-such-estimator",),
    )
    result = run_study(config, out, progress=False, jobs=2)
    paths = analyse_study(out)
    return config, out, result, paths


def test_smoke_study_writes_records_manifest_store_and_planes(smoke) -> None:
    config, out, result, _ = smoke
    assert len(result.runs) == len(config.activations) * len(config.seeds)
    assert all(run.trained for run in result.runs)
    for path in result.record_paths:
        assert path.is_file() and path.parent == out / store.RECORDS
    manifest = store.read_manifest(out)
    assert manifest["status"] == "complete" and manifest["store"] == RESULTS_STORE
    assert {"CPU", "cores", "Python"} <= set(manifest["environment"])  # the machine beside the study's times
    assert StudyConfig.from_dict(manifest["config"]) == config
    assert result.unavailable.keys() == {"no-such-estimator"}
    # one job per (record, estimated epoch, layer, pair, estimator), all through the runner's store
    estimated = config.estimated_epochs()
    n_jobs = len(result.runs) * len(estimated) * 6 * 2 * 5
    assert result.n_jobs == n_jobs and result.n_already_done == 0
    with ResultsStore(out / RESULTS_STORE, create=False) as results:
        frame = results.to_dataframe()
    assert len(frame) == n_jobs
    assert set(frame["status"]) <= {"ok", "error", "timeout"}
    assert set(frame["n"]) == {4096} and set(frame["family"]) == {"network"}
    planes = pd.read_csv(out / "planes.csv")
    assert list(planes.columns) == PLANE_COLUMNS
    assert set(planes["source"]) == {"exact", "binning", "gaussian", "ksg", "kde-upper", FAILS}
    assert set(planes[planes["source"] == "binning"]["epoch"]) == set(estimated.tolist())
    assert len(planes[planes["source"] == "exact"]) == len(result.runs) * 6 * len(config.logged_epochs())


def test_planes_and_estimates_unchanged_by_the_move_onto_the_runner(smoke) -> None:
    """Exact planes at every logged epoch and every estimate equal those the study computed before it ran through
    the runner (same records), and the same estimates fail."""
    _, out, result, _ = smoke
    reference = json.loads(REFERENCE.read_text())
    assert {run.record: store.load_record(out / run.path).digest for run in result.runs} == reference["records"]
    planes = load_planes(out)
    checked = {"exact": 0, "estimates": 0, "failures": 0}
    for row in reference["rows"]:
        match = planes[
            (planes["activation"] == row["activation"])
            & (planes["seed"] == row["seed"])
            & (planes["layer"] == row["layer"])
            & (planes["epoch"] == row["epoch"])
            & (planes["source"] == row["source"])
        ]
        assert len(match) == 1, row
        for quantity in ("xt", "ty"):
            new = bits_to_nats(float(match[f"i_{quantity}_bits"].iloc[0]))
            old = row[f"i_{quantity}"]
            if old is None:
                assert math.isnan(new), row  # it failed before and fails now
                checked["failures"] += 1
            else:
                # float64 round trip through bits and the row order of the sample: 1e-12 relative
                assert new == pytest.approx(old, rel=1e-12, abs=1e-12), (row, quantity)
                checked["exact" if row["source"] == "exact" else "estimates"] += 1
    assert checked["exact"] == 2 * 48 and checked["estimates"] > 100 and checked["failures"] > 0


def test_exact_rows_equal_information_plane(smoke) -> None:
    _, out, result, _ = smoke
    planes = load_planes(out)
    for run in result.runs:
        record = store.load_record(out / run.path)
        plane = information_plane(record, unit="bits")
        sel = planes[(planes["source"] == "exact") & (planes["activation"] == run.activation)]
        for j, epoch in enumerate(plane["epochs"].tolist()):
            for layer in range(1, record.n_layers + 1):
                row = sel[(sel["epoch"] == epoch) & (sel["layer"] == layer)]
                assert len(row) == 1
                assert row["i_xt_bits"].iloc[0] == pytest.approx(plane["i_xt"][j, layer - 1], abs=1e-12)
                assert row["i_ty_bits"].iloc[0] == pytest.approx(plane["i_ty"][j, layer - 1], abs=1e-12)


def test_failures_are_stored_results_in_the_runner_vocabulary(smoke) -> None:
    _, out, _, _ = smoke
    planes = load_planes(out)
    failed = planes[planes["source"] == FAILS]
    assert len(failed) > 0 and (failed["status"] == "error").all()
    assert failed["i_xt_bits"].isna().all() and failed["i_ty_bits"].isna().all()
    assert failed["error"].str.contains("I\\(X;T\\): ValueError: deliberately broken").all()
    assert failed["error"].str.contains("I\\(T;Y\\)").all()
    ok = planes[planes["source"] == "binning"]
    assert (ok["status"] == "ok").all() and ok["i_xt_bits"].notna().all()
    results, _, _ = study_results(out)
    stored = results[results["estimator"] == FAILS]
    assert (stored["status"] == "error").all() and stored["estimate"].isna().all()


def test_task_context_reaches_the_estimators_and_is_recorded(smoke) -> None:
    _, out, _, _ = smoke
    results, _, _ = study_results(out)
    binning = results[results["estimator"] == "binning"]
    infos = [json.loads(info) for info in binning["info"]]
    assert all(info["task_context"]["strategy"] == "fixed-edges" for info in infos)
    tanh_xt = [i for i, t in zip(infos, binning["task_id"], strict=True) if "-tanh-" in t and t.endswith("-xt")]
    assert tanh_xt and all(i["task_context"]["edges"] == np.linspace(-1, 1, 30).tolist() for i in tanh_xt)
    assert all(i["task_context"]["x_strategy"] == "none" for i in tanh_xt)
    kde = results[results["estimator"] == "kde-upper"]
    pairs = zip(kde["task_id"], kde["info"], strict=True)
    targets = {task.rsplit("-", 1)[1]: json.loads(info)["task_context"]["target"] for task, info in pairs}
    assert targets == {"xt": "input", "ty": "labels"}
    assert binning["params"].eq("{}").all()  # context is not a parameter: the job key stays the suite's


def test_binning_never_exceeds_the_exact_layer(smoke) -> None:
    """Binning a deterministic layer merges values: never more information than the exact layer."""
    _, out, _, _ = smoke
    planes = load_planes(out)
    merged = planes[planes["source"] == "binning"].merge(
        planes[planes["source"] == "exact"], on=["activation", "seed", "layer", "epoch"], suffixes=("", "_exact")
    )
    assert (merged["i_xt_bits"] <= merged["i_xt_bits_exact"] + 1e-9).all()


def test_resume_reuses_records_and_stored_jobs(smoke, monkeypatch: pytest.MonkeyPatch) -> None:
    config, out, first, _ = smoke
    mtimes = {p: p.stat().st_mtime_ns for p in first.record_paths}

    def no_training(*args, **kwargs):
        raise AssertionError("a resumed study must not train")

    monkeypatch.setattr("mibench.networks.training.train", no_training)
    again = run_study(config, out, progress=False, executor="inline")
    assert [run.record for run in again.runs] == [run.record for run in first.runs]
    assert not any(run.trained for run in again.runs)
    assert {p: p.stat().st_mtime_ns for p in again.record_paths} == mtimes
    assert again.n_already_done == first.n_jobs and sum(again.counts.values()) == 0


def test_other_training_settings_are_refused(smoke) -> None:
    config, out, _, _ = smoke
    with pytest.raises(ValueError, match="other training settings"):
        run_study(config.replace(epochs=config.epochs + 1), out, progress=False)


def test_required_unknown_estimator_is_an_error(tmp_path) -> None:
    with pytest.raises(UnknownNameError, match="no-such-estimator"):
        run_study(preset("smoke", estimators=("no-such-estimator",)), tmp_path, progress=False)
    assert not (tmp_path / "records").exists()


def test_record_cache_and_listing(smoke) -> None:
    _, out, result, _ = smoke
    path = result.record_paths[0]
    assert store.load_record(path) is store.load_record(path)
    assert sorted(store.load_records(out)) == sorted(run.record for run in result.runs)


def test_analysis_writes_scores_findings_figure_and_report(smoke) -> None:
    _, _, _, paths = smoke
    assert paths["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fidelity = pd.read_csv(paths["fidelity"])
    assert {"binning", FAILS} <= set(fidelity["source"])
    assert (fidelity[fidelity["source"] == FAILS]["failed_xt"] == 1.0).all()
    facts = json.loads(paths["findings"].read_text())
    assert facts["log2_n"] == 12.0
    assert set(facts["layers"]) == {"tanh", "relu"}
    report = paths["report"].read_text()
    assert "Findings of the exact planes" in report and "planes.png" in report and RESULTS_STORE in report
    assert "machine and environment of these times: CPU:" in report


# --------------------------------------------------------------------------------------------------------------
# The noisy study: the same networks read through Gaussian noise
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy_smoke(smoke, tmp_path_factory: pytest.TempPathFactory):
    """The smoke preset at b = 0.1 on the smoke study's records (reused from its directory)."""
    _, smoke_out, _, _ = smoke
    out = tmp_path_factory.mktemp("ib-noisy") / "smoke-b0.1"
    config = preset("smoke", noise_std=0.1)
    lines: list[str] = []
    result = run_study(config, out, progress=lines.append, jobs=2, records_dir=smoke_out / store.RECORDS)
    paths = analyse_study(out)
    return config, out, result, paths, lines


def test_noisy_study_reuses_the_records_and_runs_the_noisy_tasks(noisy_smoke, smoke) -> None:
    config, out, result, _, lines = noisy_smoke
    _, smoke_out, _, _ = smoke
    assert config.noise_std == 0.1 and config.layers == (5, 6)
    assert not any(run.trained for run in result.runs) and result.records_dir == smoke_out / store.RECORDS
    manifest = store.read_manifest(out)
    assert (out / manifest["records_dir"]).resolve() == (smoke_out / store.RECORDS).resolve()
    assert not Path(manifest["records_dir"]).is_absolute()
    assert manifest["timings"]["truths_s"] >= 0 and any("noisy truths" in line for line in lines)
    with ResultsStore(out / RESULTS_STORE, create=False) as results:
        frame = results.to_dataframe()
    n_tasks = len(result.runs) * len(config.estimated_epochs()) * 2 * 2  # layers 5, 6; both pairs
    assert set(frame["family"]) == {"network"} and frame["task_id"].str.endswith("-b0.1").all()
    assert len(frame) == result.n_jobs == n_tasks * len(result.suite.estimators)
    assert set(frame["status"]) == {"ok"} and result.suite.name == "ib-smoke-b0.1"


def test_noisy_planes_hold_the_cached_truths_and_the_estimators(noisy_smoke, smoke) -> None:
    from mibench.networks.noisy import layer_truth
    from mibench.units import nats_to_bits

    config, out, _, paths, _ = noisy_smoke
    _, smoke_out, _, _ = smoke
    planes = load_planes(out)
    truth = planes[planes["source"] == "truth"]
    assert set(truth["epoch"]) == set(config.estimated_epochs().tolist()) and set(truth["layer"]) == {5, 6}
    records = store.load_records(smoke_out)
    row = truth.iloc[0]
    record = next(r for r in records.values() if r.spec.activation == row["activation"])
    cached = layer_truth(record, int(row["layer"]), int(row["epoch"]), "xt", 0.1, records_dir=smoke_out / "records")
    assert row["i_xt_bits"] == pytest.approx(nats_to_bits(cached.mi), rel=1e-12)
    assert (truth["stderr_xt_bits"] <= nats_to_bits(0.01)).all()
    estimators = set(planes["source"]) - {"truth"}
    assert estimators == {"binning", "kde-upper", "gaussian-convolution"}
    merged = planes[planes["source"] != "truth"].merge(
        truth, on=["activation", "seed", "layer", "epoch"], suffixes=("", "_truth")
    )
    # the KDE upper bound is a bound on the whole population's mixture; Gaussian convolution at n = N is the same
    # mixture's entropy with other draws
    upper = merged[merged["source"] == "kde-upper"]
    assert (upper["i_xt_bits"] >= upper["i_xt_bits_truth"] - 3 * upper["stderr_xt_bits_truth"] - 1e-9).all()
    convolution = merged[merged["source"] == "gaussian-convolution"]
    assert (convolution["i_xt_bits"] - convolution["i_xt_bits_truth"]).abs().max() < 0.1
    clustering = pd.read_csv(paths["clustering"])
    assert {"ratio", "within_over_noise"} <= set(clustering.columns) and set(clustering["layer"]) == {5, 6}
    facts = json.loads(paths["findings"].read_text())
    assert facts["noise_std"] == 0.1 and facts["clustering"]["n_layers"] == 4
    for name in ("figure", "clustering_figure"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = paths["report"].read_text()
    assert "not networks trained with noise" in report and "Compression and clustering" in report
    assert "gaussian-convolution (white box)" in report and "clustering.png" in report


def test_noisy_study_resumes_without_computing_and_refuses_other_levels(noisy_smoke, smoke) -> None:
    config, out, first, _, _ = noisy_smoke
    _, smoke_out, _, _ = smoke
    lines: list[str] = []
    again = run_study(config, out, progress=lines.append, executor="inline", records_dir=smoke_out / store.RECORDS)
    assert again.n_already_done == first.n_jobs and sum(again.counts.values()) == 0
    assert any("0 computed" in line for line in lines)
    with pytest.raises(ValueError, match=r"noise level 0\.1, not of noise level 0\.05"):
        run_study(config.replace(noise_std=0.05), out, progress=False)
    with pytest.raises(ValueError, match="not of the quantized layers"):
        run_study(config.replace(noise_std=None), out, progress=False)
