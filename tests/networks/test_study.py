"""The information-plane study end to end on the smoke preset: records, resume, planes table, analysis, figure."""

from __future__ import annotations

import dataclasses
import json
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from mibench.interface import BaseEstimator, EstimatorTags
from mibench.networks import records as store
from mibench.networks.exact import information_plane
from mibench.networks.study import (
    PLANE_COLUMNS,
    RESTART_SEED_STRIDE,
    EstimatorSpec,
    RestartLimitError,
    StudyConfig,
    analyse_study,
    estimator_spec,
    load_planes,
    needs_restart,
    preset,
    run_study,
)


class AlwaysFails(BaseEstimator):
    """An estimator that always raises (found by import path ``tests.networks.test_study:AlwaysFails``)."""

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=True, stochastic=False, min_samples=2)

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        raise ValueError("deliberately broken")


FAILS = "tests.networks.test_study:AlwaysFails"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("ib") / "smoke"
    config = preset(
        "smoke",
        estimators=(
            estimator_spec("binning"),
            EstimatorSpec(FAILS, label="fails"),
            EstimatorSpec("no-such-estimator", optional=True),
        ),
    )
    result = run_study(config, out, progress=False)
    return config, out, result


def test_smoke_study_writes_records_manifest_and_planes(smoke) -> None:
    config, out, result = smoke
    assert len(result.runs) == len(config.activations) * len(config.seeds)
    assert all(run["trained"] for run in result.runs)
    for path in result.record_paths:
        assert path.is_file() and path.parent == out / store.RECORDS
    manifest = store.read_manifest(out)
    assert manifest["status"] == "complete"
    assert manifest["config"]["name"] == "smoke"
    assert StudyConfig.from_dict(manifest["config"]) == config
    assert "no-such-estimator" in manifest["unavailable"]
    assert result.unavailable.keys() == {"no-such-estimator"}

    planes = pd.read_csv(out / "planes.csv")
    assert list(planes.columns) == PLANE_COLUMNS
    assert set(planes["source"]) == {"exact", "binning", "fails"}
    n_layers, logged = 6, len(config.logged_epochs())
    exact = planes[planes["source"] == "exact"]
    assert len(exact) == len(result.runs) * n_layers * logged
    # estimators run on the estimated epochs only
    estimated = config.estimated_epochs()
    assert set(planes[planes["source"] == "binning"]["epoch"]) == set(estimated.tolist())


def test_exact_rows_equal_information_plane(smoke) -> None:
    _, out, result = smoke
    planes = load_planes(out)
    for run in result.runs:
        record = store.load_record(out / run["path"])
        plane = information_plane(record, unit="bits")
        sel = planes[
            (planes["source"] == "exact")
            & (planes["activation"] == run["activation"])
            & (planes["seed"] == run["seed"])
        ]
        for j, epoch in enumerate(plane["epochs"].tolist()):
            for layer in range(1, record.n_layers + 1):
                row = sel[(sel["epoch"] == epoch) & (sel["layer"] == layer)]
                assert len(row) == 1
                assert row["i_xt_bits"].iloc[0] == pytest.approx(plane["i_xt"][j, layer - 1], abs=1e-12)
                assert row["i_ty_bits"].iloc[0] == pytest.approx(plane["i_ty"][j, layer - 1], abs=1e-12)


def test_failures_are_recorded_not_fatal(smoke) -> None:
    _, out, _ = smoke
    planes = load_planes(out)
    failed = planes[planes["source"] == "fails"]
    assert len(failed) > 0
    assert (failed["status"] == "failed").all()
    assert failed["i_xt_bits"].isna().all() and failed["i_ty_bits"].isna().all()
    assert failed["error"].str.contains("I\\(X;T\\): ValueError: deliberately broken").all()
    assert failed["error"].str.contains("I\\(T;Y\\)").all()
    ok = planes[planes["source"] == "binning"]
    assert (ok["status"] == "ok").all() and ok["i_xt_bits"].notna().all()


def test_binning_on_an_injective_layer_gives_the_exact_bits(smoke) -> None:
    """A layer with I(X;T) = 12 bits at fine bins: the binned value cannot exceed the exact one."""
    _, out, _ = smoke
    planes = load_planes(out)
    merged = planes[planes["source"] == "binning"].merge(
        planes[planes["source"] == "exact"], on=["activation", "seed", "layer", "epoch"], suffixes=("", "_exact")
    )
    # binning a deterministic layer merges values: never more information than the exact layer
    assert (merged["i_xt_bits"] <= merged["i_xt_bits_exact"] + 1e-9).all()


def test_resume_reuses_records_without_training(smoke, monkeypatch: pytest.MonkeyPatch) -> None:
    config, out, first = smoke
    mtimes = {p: p.stat().st_mtime_ns for p in first.record_paths}

    def no_training(*args, **kwargs):
        raise AssertionError("a resumed study must not train")

    monkeypatch.setattr("mibench.networks.training.train", no_training)
    again = run_study(config, out, progress=False)
    assert [run["record"] for run in again.runs] == [run["record"] for run in first.runs]
    assert not any(run["trained"] for run in again.runs)
    assert {p: p.stat().st_mtime_ns for p in again.record_paths} == mtimes
    exact_then = first.planes[first.planes["source"] == "exact"].reset_index(drop=True)
    exact_now = again.planes[again.planes["source"] == "exact"].reset_index(drop=True)
    pd.testing.assert_frame_equal(exact_then.drop(columns="seconds"), exact_now.drop(columns="seconds"))


def test_other_training_settings_are_refused(smoke) -> None:
    config, out, _ = smoke
    with pytest.raises(ValueError, match="other training settings"):
        run_study(config.replace(epochs=config.epochs + 1), out, progress=False)


def test_required_unknown_estimator_is_an_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="not available"):
        run_study(preset("smoke", estimators=(EstimatorSpec("no-such-estimator"),)), tmp_path, progress=False)
    assert not (tmp_path / "records").exists()


def test_record_cache_and_listing(smoke) -> None:
    _, out, result = smoke
    path = result.record_paths[0]
    assert store.load_record(path) is store.load_record(path)
    assert sorted(store.load_records(out)) == sorted(run["record"] for run in result.runs)


def test_needs_restart_and_restart_limit(smoke, tmp_path) -> None:
    _, _, result = smoke
    record = store.load_record(result.record_paths[0])
    late = record.epochs >= 1
    assert needs_restart(record, None) is False
    assert needs_restart(record, 1.01, after_epoch=1) is True
    assert needs_restart(record, 0.0, after_epoch=1) is False
    early_only = dataclasses.replace(record, train_accuracy=np.where(late, 0.9, 0.1))
    assert needs_restart(early_only, 0.55, after_epoch=1) is False

    # an impossible threshold: every attempt is stopped at the first logged epoch >= 1 and marked rejected
    config = preset("smoke", activations=("relu",), estimators=(), restart_accuracy=1.0, restart_epoch=1)
    config = config.replace(max_restarts=1)
    with pytest.raises(RestartLimitError, match="2 attempts"):
        run_study(config, tmp_path, progress=False)
    markers = sorted((tmp_path / store.RECORDS).glob("*.rejected.json"))
    assert [m.name for m in markers] == [
        "net-12bit-relu-s0.rejected.json",
        f"net-12bit-relu-s{RESTART_SEED_STRIDE}.rejected.json",
    ]
    assert json.loads(markers[0].read_text())["epoch"] == 1
    assert not store.list_records(tmp_path)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="activation"):
        StudyConfig(activations=("sigmoid",))
    with pytest.raises(ValueError, match="seeds"):
        StudyConfig(seeds=())
    with pytest.raises(ValueError, match="distinct"):
        StudyConfig(estimators=(estimator_spec("binning"), estimator_spec("binning")))
    with pytest.raises(ValueError, match="bin_range"):
        EstimatorSpec("binning", {"bin_range": "nope"})
    with pytest.raises(ValueError, match="preset"):
        preset("huge")
    paper = preset("paper")
    assert paper.epochs == 8000 and len(paper.seeds) == 50 and paper.log_every == 5
    assert paper.restart_accuracy == 0.55 and paper.restart_epoch == 1000
    assert len(paper.logged_epochs()) == 1601
    default = preset("default")
    assert set(default.activations) == {"tanh", "relu"} and len(default.seeds) == 3
    assert [e.name for e in default.estimators][:2] == ["binning", "ksg"]
    assert default.estimated_epochs()[0] == 0 and default.estimated_epochs()[-1] == default.epochs


def test_analysis_writes_scores_findings_figure_and_report(smoke) -> None:
    _, out, _ = smoke
    paths = analyse_study(out)
    assert paths["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fidelity = pd.read_csv(paths["fidelity"])
    assert {"binning", "fails"} <= set(fidelity["source"])
    assert (fidelity[fidelity["source"] == "fails"]["failed_xt"] == 1.0).all()
    facts = json.loads(paths["findings"].read_text())
    assert facts["log2_n"] == 12.0
    assert set(facts["layers"]) == {"tanh", "relu"}
    report = paths["report"].read_text()
    assert "Findings of the exact planes" in report and "planes.png" in report


def test_plot_with_a_source_that_always_failed(smoke, tmp_path) -> None:
    from mibench.networks.plots import plot_information_planes

    _, out, _ = smoke
    planes = load_planes(out)
    path = plot_information_planes(planes[planes["activation"] == "relu"], tmp_path / "sub" / "p.png")
    assert path.is_file() and path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="empty"):
        plot_information_planes(planes.iloc[0:0], tmp_path / "q.png")
