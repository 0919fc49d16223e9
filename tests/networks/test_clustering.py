"""The clustering measure: the closed-form sums against every pair counted, its invariances, and its table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mibench.networks.clustering import CLUSTERING_COLUMNS, class_separation, clustering_table


def _pairwise(values: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """W and B by visiting every ordered pair of distinct inputs."""
    same, other = [], []
    for i in range(len(labels)):
        for j in range(len(labels)):
            if i == j:
                continue
            d = float(np.sum((values[i] - values[j]) ** 2))
            (same if labels[i] == labels[j] else other).append(d)
    return float(np.mean(same)), float(np.mean(other))


@pytest.mark.parametrize("seed", range(4))
def test_closed_form_equals_every_pair_counted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, d, classes = 60, int(rng.integers(1, 5)), int(rng.integers(2, 5))
    values = rng.normal(size=(n, d)) * 3 + 10  # far from the origin: the centring keeps the sums exact
    labels = rng.integers(0, classes, size=n)
    within, between = _pairwise(values, labels)
    sep = class_separation(values, labels, noise_std=0.5)
    assert sep.within == pytest.approx(within, rel=1e-10)
    assert sep.between == pytest.approx(between, rel=1e-10)
    assert sep.ratio == pytest.approx(within / between, rel=1e-10)
    assert sep.within_over_noise == pytest.approx(within / 0.25, rel=1e-10)


def test_ratio_is_scale_and_shift_free_and_falls_as_classes_tighten() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 200)
    centres = np.where(labels[:, None] == 0, -1.0, 1.0) * np.ones((400, 2))
    loose = centres + rng.normal(scale=1.0, size=(400, 2))
    tight = centres + rng.normal(scale=0.2, size=(400, 2))
    r = class_separation(loose, labels).ratio
    assert class_separation(3 * loose - 7, labels).ratio == pytest.approx(r, rel=1e-12)
    assert class_separation(tight, labels).ratio < 0.1 < r < 1
    noise_only = class_separation(rng.normal(size=(400, 2)), labels).ratio
    assert noise_only == pytest.approx(1.0, abs=0.1)  # no class structure: same and other class alike
    assert math.isnan(class_separation(np.ones((400, 2)), labels).ratio)  # every input on one point: undefined
    assert math.isnan(class_separation(loose, labels).within_over_noise)  # no noise level given


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="one row per input"):
        class_separation(np.zeros((4, 2)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="two classes"):
        class_separation(np.zeros((4, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="single input"):
        class_separation(np.zeros((2, 2)), np.array([0, 1]))


def test_table_of_a_record() -> None:
    from tests.networks.test_noisy import TOY_CENTRES, TOY_LABELS, toy_record

    record = toy_record()
    table = clustering_table({record.name: record}, noise_std=0.5)
    assert list(table.columns) == CLUSTERING_COLUMNS and len(table) == record.n_layers * len(record.epochs)
    row = table[table["layer"] == 1].iloc[0]
    sep = class_separation(TOY_CENTRES, TOY_LABELS, 0.5)
    assert (row["activation"], row["seed"], row["epoch"]) == ("tanh", 0, 1)
    assert row["ratio"] == pytest.approx(sep.ratio) and row["within_over_noise"] == pytest.approx(sep.within / 0.25)
    assert len(clustering_table({record.name: record}, layers=[2], epochs=[1])) == 1
