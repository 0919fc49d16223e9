"""Reproduction of the exact I(X; T) of the 12-bit net at initialisation (REFERENCES.md, Lorenzen et al. section).

Reference (bits, mean over 100 seeds): under the paper's [-6, 6] moving-average rule for ReLU/softmax
activations, tanh T1..T4 12.00, T5 11.97, output 3.08; ReLU T1 11.97, T2 11.04, T3 8.21, T4 5.18, T5 3.19,
output 1.38. With each layer's own min/max instead: ReLU T2 11.7, T3 10.8, T4 9.1, T5 7.3, output 4.2; tanh
output about 7.0. No training is needed: evaluation-mode quantization of the freshly initialised network.

Tolerance per layer: ``Z`` combined standard errors of the two means, ``sqrt(SE_ours^2 + SE_ref^2)``, with
``SE = SD / sqrt(seeds)`` and the reference's SD taken equal to ours (the spread across seeds is a property of the
initialisation, not of the implementation), plus half a unit of the reference's last printed digit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")

from mibench.networks.exact import mutual_information_xt
from mibench.networks.model import NetworkSpec, QuantizedMLP

SEEDS = 100
REFERENCE_SEEDS = 100
Z = 4.0

PAPER_RULE = {
    "tanh": ([12.00, 12.00, 12.00, 12.00, 11.97, 3.08], 0.005),
    "relu": ([11.97, 11.04, 8.21, 5.18, 3.19, 1.38], 0.005),
}
OWN_RANGE_RULE = {  # layers not stated in REFERENCES.md are None
    "tanh": ([None, None, None, None, None, 7.0], 0.1),  # "about 7.0"
    "relu": ([None, 11.7, 10.8, 9.1, 7.3, 4.2], 0.05),
}


def _initial_information(activation: str, activation_range: str) -> np.ndarray:
    """(SEEDS, 6) exact I(X; T_l) in bits at initialisation, seeds 0 .. SEEDS - 1."""
    from mibench.networks.datasets import twelve_bit

    x = twelve_bit().x
    spec = NetworkSpec(activation=activation, activation_range=activation_range)
    return np.array(
        [
            [mutual_information_xt(values, unit="bits") for values in QuantizedMLP(spec, seed=seed).layer_outputs(x)]
            for seed in range(SEEDS)
        ]
    )


def _compare(observed: np.ndarray, reference: list[float | None], rounding: float, label: str) -> None:
    mean = observed.mean(axis=0)
    sd = observed.std(axis=0, ddof=1)
    se = sd / math.sqrt(SEEDS)
    se_ref = sd / math.sqrt(REFERENCE_SEEDS)
    lines, failures = [], []
    for layer, ref in enumerate(reference):
        name = f"T{layer + 1}" if layer < 5 else "output"
        lines.append(f"{label} {name}: {mean[layer]:.3f} +- {se[layer]:.3f} bits (reference {ref})")
        if ref is None:
            continue
        tolerance = Z * math.hypot(se[layer], se_ref[layer]) + rounding
        if abs(mean[layer] - ref) > tolerance:
            failures.append(f"{name}: {mean[layer]:.3f} vs {ref} (tolerance {tolerance:.3f})")
    print("\n".join(lines))
    assert not failures, f"{label}: " + "; ".join(failures)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_initial_information_under_the_paper_range_rule(one_thread, activation):
    observed = _initial_information(activation, "moving_average")
    assert np.all(observed <= 12.0 + 1e-9)
    reference, rounding = PAPER_RULE[activation]
    _compare(observed, reference, rounding, f"{activation} [-6, 6] rule")


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_initial_information_under_each_layer_own_range(one_thread, activation):
    observed = _initial_information(activation, "batch")
    reference, rounding = OWN_RANGE_RULE[activation]
    _compare(observed, reference, rounding, f"{activation} own-range rule")
