"""Data sets: the 12-bit set against the original file and its published facts; digits; user files; splits."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from scipy.io import savemat

from mibench.networks.datasets import (
    ICOSAHEDRON,
    Dataset,
    digits,
    dipole_norm_sq,
    get_dataset,
    load_dataset,
    stratified_split,
)

Y_SHA256 = "77732f16f85e91b49d3997196b56163b3bd362d8cf631468a8de3f986e88359f"


# --------------------------------------------------------------------------------------------------------------
# 12-bit set
# --------------------------------------------------------------------------------------------------------------


def test_twelve_bit_equals_the_original_file(twelve, var_u_path):
    from scipy.io import loadmat

    original = loadmat(str(var_u_path))
    assert original["F"].shape == (4096, 12)
    np.testing.assert_array_equal(twelve.x, original["F"].astype(np.float64))
    np.testing.assert_array_equal(twelve.y, original["y"].reshape(-1).astype(np.int64))
    loaded = load_dataset(var_u_path)
    np.testing.assert_array_equal(loaded.x, twelve.x)
    np.testing.assert_array_equal(loaded.y, twelve.y)
    assert loaded.name == "var_u"


def test_twelve_bit_inputs_are_binary_expansions(twelve):
    assert twelve.x.shape == (4096, 12) and twelve.x.dtype == np.float64
    assert twelve.name == "12bit" and twelve.n_classes == 2
    weights = 2 ** np.arange(11, -1, -1)
    np.testing.assert_array_equal(twelve.x @ weights, np.arange(4096))  # row i = bits of i, MSB first


def test_twelve_bit_labels_published_facts(twelve):
    y = twelve.y
    assert y.dtype == np.int64
    assert hashlib.sha256(y.astype(np.uint8).tobytes()).hexdigest() == Y_SHA256
    assert int(y.sum()) == 2118
    k = twelve.x.sum(axis=1).astype(int)
    expected_ones = {5: (60, 792), 6: (532, 924), 7: (732, 792)}
    for ones in range(13):
        members = y[k == ones]
        if ones <= 4:
            assert members.sum() == 0
        elif ones >= 8:
            assert members.all()
        else:
            assert (int(members.sum()), members.size) == expected_ones[ones]
    assert twelve.label_entropy("bits") == pytest.approx(0.999157, abs=5e-7)
    assert twelve.label_entropy() == pytest.approx(0.999157 * math.log(2), abs=1e-6)


def test_dipole_rule_thresholds_anywhere_in_the_gaps_give_the_same_labels(twelve):
    vertices = np.asarray(ICOSAHEDRON)
    assert np.allclose(np.linalg.norm(vertices, axis=1), np.linalg.norm(vertices[0]))  # all on one sphere
    s2 = dipole_norm_sq(twelve.x)
    k = twelve.x.sum(axis=1)
    for thresholds in ({5: 5.69, 6: 2.22, 7: 0.33}, {5: 8.57, 6: 2.88, 7: 0.99}):
        y = k >= 8
        for ones, threshold in thresholds.items():
            y |= (k == ones) & (s2 > threshold)
        np.testing.assert_array_equal(y.astype(np.int64), twelve.y)
    rotation = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    rotated = np.asarray(twelve.x) @ (vertices / np.linalg.norm(vertices, axis=1, keepdims=True)) @ rotation
    np.testing.assert_allclose(np.einsum("ij,ij->i", rotated, rotated), s2, atol=1e-12)  # O(3)-invariant


# --------------------------------------------------------------------------------------------------------------
# digits and user files
# --------------------------------------------------------------------------------------------------------------


def test_digits_scaled_to_unit_interval():
    data = digits()
    assert data.x.shape == (1797, 64) and data.n_classes == 10
    assert data.x.min() == 0.0 and data.x.max() == 1.0
    np.testing.assert_array_equal(data.x * 16, np.round(data.x * 16))  # the 17-level pixel grid, exactly
    assert np.bincount(data.y).min() > 150
    assert get_dataset("digits").n == 1797


def test_dataset_is_read_only_and_validated():
    data = Dataset("toy", x=np.eye(3), y=np.array([0, 1, 1]), n_classes=2)
    with pytest.raises(ValueError):
        data.x[0, 0] = 5.0
    with pytest.raises(ValueError, match="labels must cover"):
        Dataset("toy", x=np.eye(3), y=np.array([0, 2, 2]), n_classes=2)
    with pytest.raises(ValueError, match="one label per row"):
        Dataset("toy", x=np.eye(3), y=np.array([0, 1]), n_classes=2)
    with pytest.raises(ValueError, match="integer labels"):
        Dataset("toy", x=np.eye(3), y=np.array([0.0, 1.0, 1.0]), n_classes=2)


def test_load_npz_and_mat_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(20, 3))
    y = np.array([3, 7] * 10)  # non-contiguous labels are replaced by their rank
    np.savez(tmp_path / "mine.npz", x=x, y=y)
    data = load_dataset(tmp_path / "mine.npz")
    assert data.name == "mine" and data.n_classes == 2
    np.testing.assert_array_equal(data.x, x)
    np.testing.assert_array_equal(data.y, (y == 7).astype(np.int64))
    savemat(tmp_path / "mine.mat", {"F": x.astype(np.uint8), "y": y.reshape(1, -1)})
    data = load_dataset(tmp_path / "mine.mat", name="other")
    assert data.name == "other"
    np.testing.assert_array_equal(data.x, x)


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no data file"):
        load_dataset(tmp_path / "absent.npz")
    (tmp_path / "data.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_dataset(tmp_path / "data.csv")
    np.savez(tmp_path / "nokey.npz", F=np.zeros((3, 2)), y=np.zeros(3, int))
    with pytest.raises(ValueError, match=r"missing key\(s\) \['x'\]"):
        load_dataset(tmp_path / "nokey.npz")
    np.savez(tmp_path / "rows.npz", x=np.zeros((3, 2)), y=np.zeros(4, int))
    with pytest.raises(ValueError, match="3 rows but 'y' has 4 labels"):
        load_dataset(tmp_path / "rows.npz")
    np.savez(tmp_path / "frac.npz", x=np.zeros((3, 2)), y=np.array([0.5, 1.0, 0.0]))
    with pytest.raises(ValueError, match="integer-valued"):
        load_dataset(tmp_path / "frac.npz")
    (tmp_path / "junk.mat").write_bytes(b"not a mat file")
    with pytest.raises(ValueError, match="could not read"):
        load_dataset(tmp_path / "junk.mat")
    with pytest.raises(ValueError, match="unknown data set"):
        get_dataset("mnist")


# --------------------------------------------------------------------------------------------------------------
# stratified split
# --------------------------------------------------------------------------------------------------------------


def test_stratified_split_is_stratified_and_deterministic(twelve):
    train, test = stratified_split(twelve.y, 0.2, seed=1000)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(4096))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    for c in (0, 1):
        n_c = int((twelve.y == c).sum())
        assert int((twelve.y[test] == c).sum()) == round(0.2 * n_c)
    again = stratified_split(twelve.y, 0.2, seed=1000)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    other = stratified_split(twelve.y, 0.2, seed=1001)
    assert not np.array_equal(test, other[1])
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(twelve.y, 1.0, seed=0)


def test_stratified_split_many_classes():
    y = np.repeat(np.arange(10), [5, 10, 15, 20, 25, 30, 35, 40, 45, 50])
    train, test = stratified_split(y, 0.2, seed=3)
    np.testing.assert_array_equal(np.bincount(y[test], minlength=10), np.rint(0.2 * np.bincount(y)).astype(int))
    assert np.intersect1d(train, test).size == 0
