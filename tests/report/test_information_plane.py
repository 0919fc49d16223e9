"""The information-plane section: planes table from stored results and records, its report, and the section that
``mibench report`` adds for a store holding network tasks."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")

from mibench.cli import main
from mibench.networks import records as store
from mibench.networks.datasets import twelve_bit
from mibench.networks.exact import information_plane
from mibench.networks.model import NetworkSpec
from mibench.networks.tasks import PAIRS, task_id
from mibench.networks.training import train
from mibench.report.information_plane import (
    EXACT,
    PLANE_COLUMNS,
    estimator_plane_rows,
    load_planes,
    planes_table,
    write_information_plane_report,
)
from mibench.runner import ResultsStore, run_suite
from mibench.suites import EstimatorSpec, Suite
from mibench.units import NATS_PER_BIT

FAILS = "tests.networks.slow_estimator:AlwaysFails"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    """A tiny record, and binning plus an always-failing estimator run on its tasks at epoch 2 into a store."""
    folder = tmp_path_factory.mktemp("planes")
    record = train(twelve_bit(), NetworkSpec(activation="tanh"), epochs=2, seed=0, log_at=[0, 1, 2])
    store.save_record(record, folder)
    tasks = tuple(task_id(record.name, 2, layer, pair) for layer in (1, 6) for pair in PAIRS)
    suite = Suite("planes", tasks, (EstimatorSpec("binning"), EstimatorSpec(FAILS)), (record.n,), 1)
    path = folder / "results.sqlite"
    run_suite(suite, store=path, records_dir=folder / store.RECORDS, executor="inline", progress=False)
    with ResultsStore(path, create=False) as results:
        frame = results.to_dataframe()
    return folder, record, frame


def test_planes_table_joins_exact_planes_and_stored_estimates(stored) -> None:
    _, record, frame = stored
    planes = planes_table(frame, {record.name: record}, "toy")
    assert list(planes.columns) == PLANE_COLUMNS
    exact = planes[planes["source"] == EXACT]
    assert len(exact) == 3 * record.n_layers  # every logged epoch, not only the estimated one
    plane = information_plane(record, unit="nats")
    row = exact[(exact["epoch"] == 1) & (exact["layer"] == 6)].iloc[0]
    assert row["i_xt_bits"] == pytest.approx(plane["i_xt"][1, 5] / NATS_PER_BIT, rel=1e-15)
    binning = planes[planes["source"] == "binning"]
    assert len(binning) == 2 and (binning["status"] == "ok").all() and set(binning["epoch"]) == {2}
    for _, row in binning.iterrows():
        for pair in PAIRS:
            stored_row = frame[frame["task_id"] == task_id(record.name, 2, int(row["layer"]), pair)]
            stored_row = stored_row[stored_row["estimator"] == "binning"]
            assert row[f"i_{pair}_bits"] == pytest.approx(stored_row["estimate"].iloc[0] / NATS_PER_BIT, rel=1e-15)
    failed = planes[planes["source"] == FAILS]
    assert len(failed) == 2 and (failed["status"] == "error").all()
    assert failed["i_xt_bits"].isna().all() and failed["i_ty_bits"].isna().all()
    assert failed["error"].str.startswith("I(T;Y): ValueError: deliberately broken; I(X;T): ValueError").all()


def test_rows_of_other_tasks_and_unknown_records_are_ignored(stored) -> None:
    _, record, frame = stored
    other = frame.iloc[:1].copy()
    other["task_id"] = "gaussian-pairs-1x1-rho0.5"
    assert estimator_plane_rows(other, {record.name: record}, "toy").empty
    assert estimator_plane_rows(frame, {}, "toy").empty
    assert estimator_plane_rows(frame.iloc[0:0], {record.name: record}, "toy").empty


def test_report_files_and_refusal_without_exact_rows(stored, tmp_path) -> None:
    _, record, frame = stored
    planes = planes_table(frame, {record.name: record}, "toy")
    paths = write_information_plane_report(planes, tmp_path / "out", manifest={"study": "toy"})
    assert paths["figure"].read_bytes()[:4] == b"\x89PNG"
    pd.testing.assert_frame_equal(load_planes(tmp_path / "out"), load_planes(paths["planes"]))
    assert set(pd.read_csv(paths["fidelity"])["source"]) == {"binning", FAILS}
    assert "log2_n" in json.loads(paths["findings"].read_text())
    assert "# Information-plane study `toy`" in paths["report"].read_text()
    with pytest.raises(ValueError, match="no exact rows"):
        write_information_plane_report(planes[planes["source"] != EXACT], tmp_path / "bad")
    with pytest.raises(ValueError, match="no planes table"):
        load_planes(tmp_path / "missing")


def test_mibench_report_adds_the_section_for_network_tasks(stored, tmp_path) -> None:
    folder, _, _ = stored
    result = CliRunner().invoke(main, ["report", "--store", str(folder / "results.sqlite"), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "r" / "report.md").read_text()
    assert "## Information planes" in report and "information-plane/planes.png" in report
    assert (tmp_path / "r" / "information-plane" / "planes.png").is_file()
    page = (tmp_path / "r" / "index.html").read_text()
    section = page.split('<section id="information-planes">', 1)[1].split("</section>", 1)[0]
    assert '<img src="data:image/png;base64,' in section and 'href="information-plane/report.md"' in section
    # the records directory was recorded with the run; moved away, the section says where it looked
    recorded = folder / store.RECORDS
    moved = tmp_path / "moved-records"
    shutil.move(recorded, moved)
    try:
        args = ["report", "--store", str(folder / "results.sqlite")]
        result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "s")])
        assert result.exit_code == 0, result.output
        text = (tmp_path / "s" / "report.md").read_text()
        assert "Training records not found" in text and str(recorded) in text
        # --records points at them explicitly
        result = CliRunner().invoke(main, [*args, "--records", str(moved), "-o", str(tmp_path / "t")])
        assert result.exit_code == 0, result.output
        assert "Training records not found" not in (tmp_path / "t" / "report.md").read_text()
    finally:
        shutil.move(moved, recorded)


@pytest.fixture(scope="module")
def noisy_stored(stored, tmp_path_factory: pytest.TempPathFactory):
    """The record's noisy tasks (b = 0.1) with binning and the Gaussian-convolution estimator, two seeds, into a
    store beside quantized rows of the same record."""
    folder, record, _ = stored
    out = tmp_path_factory.mktemp("noisy-planes")
    tasks = tuple(task_id(record.name, 2, layer, pair, noise_std=0.1) for layer in (5, 6) for pair in PAIRS)
    tasks += (task_id(record.name, 2, 6, "xt"), task_id(record.name, 2, 6, "ty"))
    estimators = (EstimatorSpec("binning"), EstimatorSpec("gaussian-convolution"))
    suite = Suite("noisy-planes", tasks, estimators, (record.n,), 2)
    path = out / "results.sqlite"
    run_suite(suite, store=path, records_dir=folder / store.RECORDS, executor="inline", progress=False)
    with ResultsStore(path, create=False) as results:
        frame = results.to_dataframe()
    return folder, record, frame, path


def test_noisy_planes_average_the_repetitions_and_keep_the_levels_apart(noisy_stored) -> None:
    from mibench.report.information_plane import TRUTH, noisy_planes_table

    folder, record, frame, _ = noisy_stored
    records = {record.name: record}
    quantized = estimator_plane_rows(frame, records, "toy")
    noisy = estimator_plane_rows(frame, records, "toy", noise_std=0.1)
    assert set(quantized["layer"]) == {6} and set(noisy["layer"]) == {5, 6}
    assert estimator_plane_rows(frame, records, "toy", noise_std=0.01).empty
    row = noisy[(noisy["source"] == "binning") & (noisy["layer"] == 5)].iloc[0]
    stored_rows = frame[(frame["task_id"] == task_id(record.name, 2, 5, "xt", noise_std=0.1))]
    stored_rows = stored_rows[stored_rows["estimator"] == "binning"]
    assert len(stored_rows) == 2  # two seeds, averaged
    assert row["i_xt_bits"] == pytest.approx(stored_rows["estimate"].mean() / NATS_PER_BIT, rel=1e-12)
    planes = noisy_planes_table(frame, records, "toy", 0.1, [2], [5, 6], folder / store.RECORDS)
    truth = planes[planes["source"] == TRUTH]
    assert len(truth) == 2 and (truth["stderr_xt_bits"] > 0).all()
    task_row = frame[frame["task_id"] == task_id(record.name, 2, 5, "ty", noise_std=0.1)].iloc[0]
    assert truth[truth["layer"] == 5]["i_ty_bits"].iloc[0] == pytest.approx(task_row["true_mi"] / NATS_PER_BIT)


def test_mibench_report_adds_the_noisy_planes(noisy_stored, tmp_path) -> None:
    _, _, _, path = noisy_stored
    result = CliRunner().invoke(main, ["report", "--store", str(path), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "r" / "report.md").read_text()
    assert "information-plane/planes.png" in report  # the quantized rows' planes
    assert "Noisy planes at b = 0.1" in report and "information-plane-b0.1/planes.png" in report
    noisy = tmp_path / "r" / "information-plane-b0.1"
    for name in ("planes.png", "clustering.png", "clustering.csv", "fidelity.csv", "findings.json", "report.md"):
        assert (noisy / name).is_file(), name
    text = (noisy / "report.md").read_text()
    assert "gaussian-convolution (white box)" in text and "Compression and clustering" in text
    assert set(pd.read_csv(noisy / "fidelity.csv")["source"]) == {"binning", "gaussian-convolution"}
