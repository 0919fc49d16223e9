"""The quantization-aware network: seeded Glorot initialisation, the per-layer quantization rules, evaluation mode."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from mibench.networks.model import DIGITS_WIDTHS, TWELVE_BIT_WIDTHS, NetworkSpec, QuantizedMLP
from mibench.networks.quantization import BatchRange, FixedRange, MovingAverageRange


def test_spec_defaults_validation_and_round_trip():
    spec = NetworkSpec()
    assert spec.widths == TWELVE_BIT_WIDTHS and spec.activation == "tanh" and spec.bits == 8
    assert spec.n_layers == 6
    assert NetworkSpec.from_dict(spec.to_dict()) == spec
    assert NetworkSpec.for_dataset("digits").widths == DIGITS_WIDTHS
    assert NetworkSpec.for_dataset("digits").activation == "relu"
    assert NetworkSpec.for_dataset("12bit", "relu").activation == "relu"
    for bad in ({"activation": "sigmoid"}, {"widths": (12,)}, {"bits": 1}, {"tanh_range": "x"}, {"dtype": "f16"}):
        with pytest.raises(ValueError):
            NetworkSpec(**bad)
    with pytest.raises(ValueError, match="no default network"):
        NetworkSpec.for_dataset("mnist")


def test_glorot_uniform_zero_bias_and_seeded(one_thread):
    a = QuantizedMLP(NetworkSpec(), seed=3)
    b = QuantizedMLP(NetworkSpec(), seed=3)
    c = QuantizedMLP(NetworkSpec(), seed=4)
    g = QuantizedMLP(NetworkSpec(), generator=torch.Generator().manual_seed(3))
    for wa, wb, wc, wg in zip(a.weights, b.weights, c.weights, g.weights, strict=True):
        assert torch.equal(wa, wb) and torch.equal(wa, wg) and not torch.equal(wa, wc)
    for w, (fan_in, fan_out) in zip(a.weights, itertools.pairwise(TWELVE_BIT_WIDTHS), strict=True):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        assert w.shape == (fan_in, fan_out) and w.dtype == torch.float32
        largest = float(w.detach().abs().max())
        assert 0.5 * limit < largest <= limit
    assert all(float(bias.detach().abs().max()) == 0.0 for bias in a.biases)
    assert len(a.parameters()) == 12 and all(p.requires_grad for p in a.parameters())
    with pytest.raises(ValueError, match="exactly one"):
        QuantizedMLP(NetworkSpec())


def test_quantization_rules_per_layer():
    tanh = QuantizedMLP(NetworkSpec(activation="tanh"), seed=0)
    relu = QuantizedMLP(NetworkSpec(activation="relu"), seed=0)
    assert [type(r) for r in tanh.activation_ranges] == [BatchRange] * 5 + [MovingAverageRange]
    assert all(isinstance(r, MovingAverageRange) for r in relu.activation_ranges)
    assert [tanh.weights_quantized(i) for i in range(6)] == [False] * 5 + [True]
    assert all(relu.weights_quantized(i) for i in range(6))
    assert torch.equal(tanh.effective_weight(0), tanh.weights[0])  # tanh weights are not quantized
    for i in range(6):  # ReLU/softmax weights: per-tensor grid over their own min/max, <= 2^8 values
        assert relu.effective_weight(i).unique().numel() <= 256
    fixed = QuantizedMLP(NetworkSpec(activation="tanh", tanh_range="fixed"), seed=0)
    assert isinstance(fixed.activation_ranges[0], FixedRange)
    own = QuantizedMLP(NetworkSpec(activation="relu", activation_range="batch"), seed=0)
    assert isinstance(own.activation_ranges[0], BatchRange) and own.activation_ranges[0].include_zero
    unquantized = QuantizedMLP(NetworkSpec(activation="relu", bits=32), seed=0)
    assert not unquantized.weights_quantized(0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("bits", [4, 8])
def test_layer_outputs_are_quantized_and_evaluation_leaves_ranges(twelve, one_thread, activation, bits):
    net = QuantizedMLP(NetworkSpec(activation=activation, bits=bits), seed=1)
    before = net.range_state()
    outputs = net.layer_outputs(twelve.x)
    again = net.layer_outputs(twelve.x)
    assert net.range_state() == before
    assert [o.shape for o in outputs] == [(4096, w) for w in TWELVE_BIT_WIDTHS[1:]]
    for o, p in zip(outputs, again, strict=True):
        assert o.dtype == np.float64 and np.array_equal(o, p)
        assert np.unique(o).size <= 2**bits
    probabilities = outputs[-1]
    assert probabilities.min() >= 0.0 and probabilities.max() <= 1.0 + 1e-6
    if activation == "relu":
        assert all(o.min() >= 0.0 for o in outputs)


def test_training_forward_updates_moving_average_and_has_gradients(twelve, one_thread):
    net = QuantizedMLP(NetworkSpec(activation="relu"), seed=0)
    x = torch.tensor(np.array(twelve.x[:256]))
    outputs = net.forward(x, training=True)
    assert net.activation_ranges[0].hi < 6.0  # one moving-average step towards the batch range
    outputs[-1][:, 0].sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_float64_networks(twelve, one_thread):
    net = QuantizedMLP(NetworkSpec(dtype="float64"), seed=0)
    assert net.weights[0].dtype == torch.float64
    assert np.unique(net.layer_outputs(twelve.x)[0]).size <= 256
