"""Exact information: agreement with a brute-force count, the published bounds and values on the 12-bit set."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from mibench.networks.exact import (
    entropy_from_counts,
    information_plane,
    layer_information,
    mutual_information_ty,
    mutual_information_xt,
    row_ids,
)

H_Y_BITS = 0.999157


def _brute_force(codes: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """I(X;T) and I(T;Y) in nats by counting whole-layer tuples in dicts: H(T) and H(T) + H(Y) - H(T, Y)."""
    n = len(labels)
    t_counts = Counter(tuple(int(v) for v in row) for row in codes)
    joint = Counter((tuple(int(v) for v in row), int(label)) for row, label in zip(codes, labels, strict=True))
    y_counts = Counter(int(label) for label in labels)

    def h(counter):
        return -sum(c / n * math.log(c / n) for c in counter.values())

    by_class = defaultdict(Counter)
    for (t, label), c in joint.items():
        by_class[label][t] += c
    h_t_given_y = sum(
        y_counts[label] / n * -sum(c / y_counts[label] * math.log(c / y_counts[label]) for c in counts.values())
        for label, counts in by_class.items()
    )
    assert math.isclose(h(t_counts) - h_t_given_y, h(t_counts) + h(y_counts) - h(joint), abs_tol=1e-12)
    return h(t_counts), h(t_counts) - h_t_given_y


@pytest.mark.parametrize("seed", range(5))
def test_matches_brute_force_on_random_codes(seed):
    rng = np.random.default_rng(seed)
    n, width, levels, classes = 500, int(rng.integers(1, 5)), int(rng.integers(2, 5)), int(rng.integers(2, 4))
    codes = rng.integers(0, levels, size=(n, width)).astype(np.uint8)
    labels = rng.integers(0, classes, size=n)
    i_xt, i_ty = _brute_force(codes, labels)
    info = layer_information(codes, labels)
    assert info.i_xt == pytest.approx(i_xt, abs=1e-12)
    assert info.i_ty == pytest.approx(i_ty, abs=1e-12)
    assert info.n_distinct == len({tuple(r) for r in codes.tolist()})
    assert mutual_information_xt(codes, unit="bits") == pytest.approx(i_xt / math.log(2), abs=1e-12)
    assert mutual_information_ty(codes, labels) == pytest.approx(i_ty, abs=1e-12)


def test_row_ids_on_wide_and_float_rows():
    codes = np.array([[1, 2, 3], [1, 2, 3], [3, 2, 1], [1, 2, 4]], dtype=np.uint16)
    ids, k = row_ids(codes)
    assert k == 3 and ids[0] == ids[1] and len({ids[0], ids[2], ids[3]}) == 3
    floats = np.array([[0.5, 0.25], [0.5, 0.25], [0.5, 0.0]])
    assert row_ids(floats)[1] == 2
    assert row_ids(np.array([3, 3, 1]))[1] == 2
    with pytest.raises(ValueError):
        row_ids(np.zeros((0, 2)))
    assert entropy_from_counts(np.array([5])) == 0.0 and math.copysign(1.0, entropy_from_counts(np.array([5]))) > 0


def test_injective_and_constant_layers_on_the_twelve_bit_set(twelve):
    injective = layer_information(twelve.x.astype(np.uint8), twelve.y, unit="bits")
    assert injective.i_xt == pytest.approx(12.0, abs=1e-12)
    assert injective.i_ty == pytest.approx(H_Y_BITS, abs=5e-7)
    scrambled = np.random.default_rng(0).permutation(4096).reshape(-1, 1)  # any injective code: same truth
    assert layer_information(scrambled, twelve.y, unit="bits").i_ty == pytest.approx(injective.i_ty, abs=1e-12)
    constant = layer_information(np.zeros((4096, 3), np.uint8), twelve.y)
    assert constant.i_xt == 0.0 and constant.i_ty == 0.0
    label_layer = layer_information(twelve.y.reshape(-1, 1), twelve.y, unit="bits")  # T = Y
    assert label_layer.i_xt == pytest.approx(H_Y_BITS, abs=5e-7) and label_layer.i_ty == pytest.approx(H_Y_BITS)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("bits", [4, 8])
def test_bounds_on_network_layers(twelve, one_thread, activation, bits):
    pytest.importorskip("torch")
    from mibench.networks.model import NetworkSpec, QuantizedMLP

    net = QuantizedMLP(NetworkSpec(activation=activation, bits=bits), seed=2)
    h_y = twelve.label_entropy("bits")
    for values in net.layer_outputs(twelve.x):
        info = layer_information(values, twelve.y, unit="bits")  # values or codes: same partition of X
        width = values.shape[1]
        assert info.i_xt <= min(12.0, width * math.log2(2**bits + 1)) + 1e-9
        assert info.i_ty <= min(h_y, info.i_xt) + 1e-9
        assert info.i_ty >= 0.0


def test_information_plane_of_a_record(twelve):
    pytest.importorskip("torch")
    from mibench.networks.training import train

    record = train(twelve, epochs=1, seed=0, log_at=[0, 1])
    plane = information_plane(record, unit="bits")
    assert plane["i_xt"].shape == (2, 6) and plane["epochs"].tolist() == [0, 1]
    assert np.all(plane["i_xt"] <= 12 + 1e-9) and np.all(plane["i_ty"] <= H_Y_BITS + 1e-6)
    assert plane["i_xt"][0, 0] == pytest.approx(12.0)  # tanh T1 is injective at initialisation
    assert plane["i_xt"][0, -1] <= math.log2(257)  # the 8-bit softmax output bound
    single = layer_information(record.layer_codes(6, 1), record.y, unit="bits")
    assert plane["i_xt"][1, 5] == single.i_xt and plane["i_ty"][1, 5] == single.i_ty
