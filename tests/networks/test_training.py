"""Training records: logged epochs, compact codes, determinism by seed, .npz round trip without pickle."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from mibench.networks.datasets import Dataset
from mibench.networks.model import NetworkSpec, QuantizedMLP
from mibench.networks.training import TrainingRecord, compact_codes, log_epochs, train


def test_log_epochs():
    logged = log_epochs(8000, count=20)
    assert logged[0] == 0 and logged[-1] == 8000 and logged.size <= 21
    assert np.all(np.diff(logged) > 0)
    ratios = logged[5:][1:] / logged[5:][:-1]
    assert np.allclose(ratios, ratios.mean(), rtol=0.05)  # geometric spacing
    assert log_epochs(20, "every", every=5).tolist() == [0, 5, 10, 15, 20]
    assert log_epochs(7, "every", every=5).tolist() == [0, 5, 7]
    assert log_epochs(3, "all").tolist() == [0, 1, 2, 3]
    assert log_epochs(0).tolist() == [0]
    assert log_epochs(10, count=100).tolist() == list(range(11))
    with pytest.raises(ValueError, match="every"):
        log_epochs(10, "every")
    with pytest.raises(ValueError, match="mode"):
        log_epochs(10, "linear")


def test_compact_codes_round_trip():
    values = np.array([[0.5, -1.0], [0.5, 0.25], [2.0, -1.0]])
    grid, codes = compact_codes(values)
    assert codes.dtype == np.uint8 and np.array_equal(grid[codes], values)
    assert np.all(np.diff(grid) > 0)
    _, many = compact_codes(np.arange(300.0).reshape(-1, 1))
    assert many.dtype == np.uint16


@pytest.fixture(scope="module")
def short_runs(twelve):
    spec = NetworkSpec(activation="relu")
    first = train(twelve, spec, epochs=3, seed=7, log_at=[0, 1, 3])
    second = train(twelve, spec, epochs=3, seed=7, log_at=[0, 1, 3])
    other = train(twelve, spec, epochs=3, seed=8, log_at=[0, 1, 3])
    return first, second, other


def test_same_seed_gives_identical_records(short_runs):
    first, second, other = short_runs
    assert first.digest == second.digest
    np.testing.assert_array_equal(first.train_accuracy, second.train_accuracy)
    np.testing.assert_array_equal(first.train_loss, second.train_loss)
    for a, b in zip(first.codes, second.codes, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    for a, b in zip(first.grids, second.grids, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert other.digest != first.digest


def test_record_contents(short_runs, twelve):
    record = short_runs[0]
    assert record.epochs.tolist() == [0, 1, 3] and record.n_layers == 6 and record.n == 4096
    assert np.isnan(record.train_loss[0]) and np.all(np.isfinite(record.train_loss[1:]))
    assert np.all((record.train_accuracy >= 0) & (record.train_accuracy <= 1))
    assert record.name == "net-12bit-relu-s7"
    for layer in range(1, 7):
        codes = record.layer_codes(layer, 3)
        assert codes.dtype == np.uint8 and codes.shape == (4096, NetworkSpec().widths[layer])
        assert record.layer_grid(layer, 3).size <= 256
    # Epoch 0 is the untrained network evaluated on the whole data set.
    initial = QuantizedMLP(NetworkSpec(activation="relu"), seed=7).layer_outputs(twelve.x)
    for layer, values in enumerate(initial, start=1):
        np.testing.assert_array_equal(record.layer_values(layer, 0), values)
    with pytest.raises(ValueError, match="was not logged"):
        record.layer_codes(1, 2)
    with pytest.raises(ValueError, match=r"layer \(the last is the output\) must be an integer in \[1, 6\]"):
        record.layer_codes(0, 1)


def test_save_and_load_without_pickle(short_runs, tmp_path):
    record = short_runs[0]
    path = record.save(tmp_path / "run.npz")
    with np.load(path, allow_pickle=False) as data:
        assert "meta" in data and data["codes_0"].dtype == np.uint8
    loaded = TrainingRecord.load(path)
    assert loaded.digest == record.digest and loaded.identity() == record.identity()
    assert loaded.spec == record.spec
    np.testing.assert_array_equal(loaded.test_accuracy, record.test_accuracy)
    np.testing.assert_array_equal(loaded.layer_values(6, 3), record.layer_values(6, 3))


def test_training_learns_with_a_large_step(twelve):
    record = train(twelve, NetworkSpec(activation="tanh"), epochs=4, seed=0, learning_rate=1e-2, log_at=[0, 1, 4])
    assert record.train_loss[2] < record.train_loss[1]
    assert record.train_accuracy[-1] > record.train_accuracy[0] + 0.1


def test_train_rejects_mismatched_network_and_bad_epochs(twelve):
    with pytest.raises(ValueError, match="do not fit"):
        train(twelve, NetworkSpec(widths=(64, 10)), epochs=1)
    with pytest.raises(ValueError, match="log_at"):
        train(twelve, epochs=2, log_at=[5])
    with pytest.raises(ValueError, match="epochs"):
        train(twelve, epochs=-1)


def test_small_custom_dataset_and_digits_shapes():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(64, 4)).astype(float)
    data = Dataset("toy", x=x, y=(x.sum(axis=1) > 2).astype(int), n_classes=2)
    record = train(data, NetworkSpec(widths=(4, 3, 2), activation="relu", bits=4), epochs=2, seed=1)
    assert record.name == "net-toy-relu-w3-b4-s1"
    assert record.grids[0][-1].size <= 16
