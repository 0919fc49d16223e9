"""Noisy-network truths: agreement with an independent quadrature on a toy layer and with the exact discrete
information as the noise vanishes, the precision rule, and the truth cache (written once, read by a fresh process,
never trusted when broken)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mibench.networks import noisy
from mibench.networks.exact import layer_information
from mibench.networks.ids import task_id
from mibench.networks.model import NetworkSpec
from mibench.networks.noisy import (
    MAX_STDERR,
    NoisyTruth,
    TruthCache,
    compute_truth,
    fill_truths,
    layer_truth,
    truth_cache_path,
    truth_key,
    truth_method,
)
from mibench.networks.records import save_record_file
from mibench.networks.training import TrainingRecord

REPO = Path(__file__).resolve().parents[2]

#: Three distinct 2-D centres for six inputs (multiplicities 3, 2, 1), and labels that split two of them.
TOY_CENTRES = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
TOY_LABELS = np.array([0, 0, 1, 1, 1, 0])
TOY_NOISE = 0.5


def toy_record() -> TrainingRecord:
    """A hand-made record: 6 inputs, one hidden layer of width 2 holding :data:`TOY_CENTRES`, a 2-unit output."""
    grid = np.array([0.0, 1.0])
    codes = np.searchsorted(grid, TOY_CENTRES).astype(np.uint8)
    return TrainingRecord(
        dataset="toy",
        spec=NetworkSpec(widths=(3, 2, 2)),
        seed=0,
        split_seed=0,
        test_fraction=0.0,
        learning_rate=0.1,
        batch_size=6,
        n_epochs=1,
        epochs=np.array([1]),
        train_accuracy=np.array([1.0]),
        test_accuracy=np.array([math.nan]),
        train_loss=np.array([0.1]),
        x=np.arange(18, dtype=np.float64).reshape(6, 3),
        y=TOY_LABELS.copy(),
        codes=((codes,), (np.array([[0, 1]] * 3 + [[1, 0]] * 3, dtype=np.uint8),)),
        grids=((grid,), (np.array([0.25, 0.75]),)),
    )


def _grid_entropy(centres: np.ndarray, s: float) -> float:
    """h of the equal-weight Gaussian mixture of 2-D ``centres`` (std ``s``) by a Riemann sum on a fine grid: an
    independent computation (exponentially accurate for smooth, rapidly decaying integrands)."""
    step = s / 25
    lo, hi = centres.min() - 10 * s, centres.max() + 10 * s
    axis = np.arange(lo, hi + step, step)
    tx, ty = np.meshgrid(axis, axis, indexing="ij")
    density = np.zeros_like(tx)
    for cx, cy in centres:
        density += np.exp(-((tx - cx) ** 2 + (ty - cy) ** 2) / (2 * s * s))
    density /= len(centres) * 2 * math.pi * s * s
    positive = density > 0
    return float(-np.sum(density[positive] * np.log(density[positive])) * step * step)


def test_toy_truths_match_a_direct_quadrature() -> None:
    record = toy_record()
    h = _grid_entropy(TOY_CENTRES, TOY_NOISE)
    i_xt = h - math.log(2 * math.pi * math.e * TOY_NOISE**2)  # d = 2: d/2 log(2 pi e s^2)
    h_given_y = sum(
        np.mean(TOY_LABELS == label) * _grid_entropy(TOY_CENTRES[TOY_LABELS == label], TOY_NOISE) for label in (0, 1)
    )
    i_ty = h - h_given_y
    xt = compute_truth(record, 1, 1, "xt", TOY_NOISE)
    ty = compute_truth(record, 1, 1, "ty", TOY_NOISE)
    assert 0 < xt.stderr <= MAX_STDERR and 0 < ty.stderr <= MAX_STDERR
    assert xt.value == pytest.approx(i_xt, abs=4 * xt.stderr + 1e-6)
    assert ty.value == pytest.approx(i_ty, abs=4 * ty.stderr + 1e-6)
    # and the exact discrete values bound them (data processing: T is a noisy function of the layer)
    info = layer_information(record.layer_codes(1, 1), record.y)
    assert i_xt < info.i_xt and i_ty < info.i_ty


def test_truths_are_reproducible_and_seeded_by_record_and_task() -> None:
    record = toy_record()
    first = compute_truth(record, 1, 1, "xt", TOY_NOISE)
    again = compute_truth(record, 1, 1, "xt", TOY_NOISE)
    assert first.value == again.value and first.seed == again.seed and first.method == truth_method()
    assert compute_truth(record, 1, 1, "xt", 0.6).seed != first.seed
    assert NoisyTruth.from_dict(first.to_dict()) == first


def test_the_precision_rule_adds_draws_until_the_stderr_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    record = toy_record()
    monkeypatch.setattr(noisy, "MAX_STDERR", 0.002)
    truth = compute_truth(record, 1, 1, "xt", TOY_NOISE)
    assert truth.stderr <= 0.002 and truth.draws_per_centre > math.ceil(noisy.MIN_DRAWS / 6)
    monkeypatch.setattr(noisy, "MAX_TOTAL_DRAWS", 64)
    with pytest.raises(RuntimeError, match="standard error"):
        compute_truth(record, 1, 1, "xt", TOY_NOISE)


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the Monte-Carlo runs (the truths' only expensive call)."""
    import mibench.synthetic.mixture_truth as mixture

    calls: list[int] = []
    original = mixture.channel_mi

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(mixture, "channel_mi", counted)
    return calls


@pytest.fixture
def toy_dir(tmp_path: Path) -> tuple[TrainingRecord, Path]:
    record = toy_record()
    save_record_file(record, tmp_path)
    return record, tmp_path


def test_the_cache_is_written_once_and_reused(toy_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    from mibench.resolver import _network_task, resolve_task

    record, folder = toy_dir
    calls = _count_calls(monkeypatch)
    first = layer_truth(record, 1, 1, "xt", TOY_NOISE, records_dir=folder)
    assert len(calls) >= 1
    n = len(calls)
    assert layer_truth(record, 1, 1, "xt", TOY_NOISE, records_dir=folder) == first and len(calls) == n
    path = truth_cache_path(folder, record.name)
    data = json.loads(path.read_text())
    assert data["record_digest"] == record.digest and list(data["entries"]) == [truth_key(1, 1, "xt", TOY_NOISE)]
    _network_task.cache_clear()
    task = resolve_task(task_id(record.name, 1, 1, "xt", noise_std=TOY_NOISE), folder)
    assert len(calls) == n and task.mi == first.mi and task.mi_stderr == first.stderr  # read, not recomputed
    assert {p.name for p in folder.iterdir()} == {f"{record.name}.npz", path.name}  # no lock or temporary file


def test_a_fresh_process_reads_the_cache_and_never_computes(toy_dir) -> None:
    record, folder = toy_dir
    tid = task_id(record.name, 1, 1, "ty", noise_std=TOY_NOISE)
    truth = layer_truth(record, 1, 1, "ty", TOY_NOISE, records_dir=folder)
    code = (
        "import mibench.synthetic.mixture_truth as m\n"
        "def refuse(*a, **k):\n    raise AssertionError('a truth was computed again')\n"
        "m.channel_mi = refuse\n"
        "from mibench.resolver import resolve_task\n"
        f"task = resolve_task({tid!r}, {str(folder)!r})\n"
        "print(repr(task.mi), repr(task.mi_stderr))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == [repr(truth.mi), repr(truth.stderr)]


def test_a_broken_cache_is_recomputed_never_trusted(toy_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    record, folder = toy_dir
    key = truth_key(1, 1, "xt", TOY_NOISE)
    good = layer_truth(record, 1, 1, "xt", TOY_NOISE, records_dir=folder)
    path = truth_cache_path(folder, record.name)
    calls = _count_calls(monkeypatch)

    # not JSON: a warning, the truth computed again, the file replaced by a valid one
    path.write_text("{ not json", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="computed again"):
        assert layer_truth(record, 1, 1, "xt", TOY_NOISE, records_dir=folder) == good
    assert calls and TruthCache.of(record, folder).read() == {key: good}

    # an entry whose numbers were changed without its check digest
    data = json.loads(path.read_text())
    data["entries"][key]["value"] = 0.123
    path.write_text(json.dumps(data), encoding="utf-8")
    calls.clear()
    with pytest.warns(RuntimeWarning, match="failed their checks"):
        assert layer_truth(record, 1, 1, "xt", TOY_NOISE, records_dir=folder).value == good.value
    assert calls

    # computed for another record digest (the record was retrained) or by another method: quietly recomputed
    for field, value in (("record_digest", "0" * 12), ("method", "t0-old")):
        data = json.loads(path.read_text())
        data[field] = value
        path.write_text(json.dumps(data), encoding="utf-8")
        calls.clear()
        assert layer_truth(record, 1, 1, "xt", TOY_NOISE, records_dir=folder) == good and calls
        assert json.loads(path.read_text())[field] == getattr(TruthCache.of(record, folder), field)


def test_fill_truths_computes_only_what_the_caches_lack(toy_dir) -> None:
    record, folder = toy_dir
    ids = [
        task_id(record.name, 1, layer, pair, noise_std=b) for layer in (1, 2) for pair in ("xt", "ty") for b in (0.3, 1)
    ]
    others = ["gaussian-pairs-1x1-rho0.5", task_id(record.name, 1, 1, "xt"), "net-missing-s0-e1-l1-xt-b0.1"]
    lines: list[str] = []
    first = fill_truths(ids + others, folder, jobs=2, progress=lines.append)
    assert (first.n_tasks, first.n_cached, first.n_computed) == (len(ids) + 1, 0, len(ids))
    assert lines and "8 to compute" in lines[0]
    cached = TruthCache.of(record, folder).read()
    assert len(cached) == len(ids)
    again = fill_truths(ids, folder, jobs=2)
    assert (again.n_cached, again.n_computed) == (len(ids), 0)
    # the same values as this process computes them
    stored, fresh = cached[truth_key(1, 2, "ty", 1)], compute_truth(record, 2, 1, "ty", 1.0)
    assert stored.to_dict() | {"seconds": 0} == fresh.to_dict() | {"seconds": 0}


@pytest.fixture(scope="module")
def trained(twelve) -> TrainingRecord:
    pytest.importorskip("torch")
    from mibench.networks.training import train

    return train(twelve, NetworkSpec(activation="tanh"), epochs=2, seed=0, log_at=[0, 2])


@pytest.mark.parametrize("layer", [5, 6])
def test_vanishing_noise_gives_the_exact_discrete_information(trained, layer: int) -> None:
    """With b far below the spacing of the layer's 8-bit grid, T identifies the layer's value: I(X;T) -> H(T) and
    I(T;Y) -> the exact I(T;Y) of the quantized layer; with more noise, both stay below them (data processing)."""
    exact = layer_information(trained.layer_codes(layer, 2), trained.y)
    grid = trained.layer_grid(layer, 2)
    b = float(np.min(np.diff(grid))) / 100  # the nearest distinct values are 100 b apart: overlap ~ exp(-1250)
    xt = compute_truth(trained, layer, 2, "xt", b)
    ty = compute_truth(trained, layer, 2, "ty", b)
    assert xt.value == pytest.approx(exact.i_xt, abs=3 * xt.stderr + 1e-9)
    assert ty.value == pytest.approx(exact.i_ty, abs=3 * ty.stderr + 1e-9)
    for pair, bound in (("xt", exact.i_xt), ("ty", exact.i_ty)):
        noisy_value = compute_truth(trained, layer, 2, pair, 0.05)
        assert noisy_value.value <= bound + 3 * noisy_value.stderr
    assert compute_truth(trained, layer, 2, "xt", 0.05).value < exact.i_xt - 0.05  # the noise does cost information
