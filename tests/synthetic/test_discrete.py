"""Discrete tasks: exact truths by independent enumeration, plug-in agreement, the samplers' laws, bad parameters."""

from __future__ import annotations

import json
import math
import pickle
import time
from itertools import product

import numpy as np
import pytest
from scipy import stats

from mibench.synthetic.discrete import (
    SPARSE_3X4,
    binary_symmetric_channel,
    catalogue_tasks,
    discrete_table,
    from_id,
    noisy_categorical,
)
from mibench.units import bits_to_nats, nats_to_bits

# --------------------------------------------------------------------------------------------------------------
# Independent reference: brute-force enumeration of the joint law, MI = H(X) + H(Y) - H(X, Y).
# --------------------------------------------------------------------------------------------------------------


def _entropy(probabilities) -> float:
    return -sum(p * math.log(p) for p in probabilities if p > 0)


def _enumerated_mi(joint: dict[tuple[int, int], float]) -> float:
    px: dict[int, float] = {}
    py: dict[int, float] = {}
    for (x, y), p in joint.items():
        px[x] = px.get(x, 0.0) + p
        py[y] = py.get(y, 0.0) + p
    return _entropy(px.values()) + _entropy(py.values()) - _entropy(joint.values())


def _bsc_joint(p: float, prior: float) -> dict[tuple[int, int], float]:
    px = {0: 1 - prior, 1: prior}
    return {(x, y): px[x] * (p if x != y else 1 - p) for x, y in product((0, 1), repeat=2)}


def _categorical_joint(m: int, noise: float) -> dict[tuple[int, int], float]:
    # Enumerate the two stages: keep (prob 1 - noise) or redraw uniformly (prob noise, each symbol 1/m).
    joint = {}
    for x, y in product(range(m), repeat=2):
        joint[(x, y)] = (1 / m) * ((1 - noise) * (x == y) + noise / m)
    return joint


def _table_joint(task) -> dict[tuple[int, int], float]:
    table = task.params["joint"]
    return {(i, j): p for i, row in enumerate(table) for j, p in enumerate(row)}


def _joint_of(task) -> dict[tuple[int, int], float]:
    params = task.params
    if params.get("channel") == "bsc":
        return _bsc_joint(params["p"], params["prior"])
    if params.get("channel") == "categorical":
        return _categorical_joint(params["m"], params["noise"])
    return _table_joint(task)


EXAMPLES = [
    *catalogue_tasks(),
    binary_symmetric_channel(0.0),
    binary_symmetric_channel(0.5),
    binary_symmetric_channel(1.0, prior=0.3),
    binary_symmetric_channel(0.2, prior=0.0),
    noisy_categorical(3, 0.0),
    noisy_categorical(7, 1.0),
    noisy_categorical(5, 0.37),
    discrete_table([[0.25, 0.25], [0.25, 0.25]], name="independent-2x2"),
    discrete_table([[0.5, 0.0], [0.0, 0.5]], name="copy-bit"),
    discrete_table([[0.0, 0.0, 0.0], [0.1, 0.6, 0.3]], name="row-of-zeros"),
]


@pytest.mark.parametrize("task", EXAMPLES, ids=lambda t: t.id)
def test_truth_equals_brute_force_enumeration(task):
    # Enumeration in float64 of at most 10^4 terms: agreement to 1e-12 nats (rounding only).
    assert task.mi == pytest.approx(_enumerated_mi(_joint_of(task)), abs=1e-12)


def test_known_values():
    one_bit = bits_to_nats(1.0)
    assert binary_symmetric_channel(0.0).mi == pytest.approx(one_bit, abs=1e-15)
    assert binary_symmetric_channel(1.0).mi == pytest.approx(one_bit, abs=1e-15)
    assert binary_symmetric_channel(0.5).mi == 0.0
    assert binary_symmetric_channel(0.3, prior=1.0).mi == 0.0
    # Capacity of the BSC with p = 0.11: 1 - h2(0.11) = 0.500 bits (Cover & Thomas example).
    assert nats_to_bits(binary_symmetric_channel(0.11).mi) == pytest.approx(0.5, abs=1e-3)
    assert noisy_categorical(10, 0.0).mi == pytest.approx(math.log(10), abs=1e-14)
    assert noisy_categorical(10, 1.0).mi == pytest.approx(0.0, abs=1e-15)
    assert discrete_table([[0.5, 0.0], [0.0, 0.5]], name="copy").mi == pytest.approx(one_bit, abs=1e-15)
    assert discrete_table([[0.25, 0.25], [0.25, 0.25]], name="indep").mi == 0.0


def test_categorical_closed_form_matches_enumeration_over_a_grid():
    for m in (2, 3, 7, 20):
        for noise in np.linspace(0, 1, 11):
            expected = _enumerated_mi(_categorical_joint(m, float(noise)))
            assert noisy_categorical(m, float(noise)).mi == pytest.approx(expected, abs=1e-12)


def test_binary_categorical_is_a_bsc():
    # m = 2 with noise e flips with probability e/2: the same law as the BSC with p = e/2.
    for noise in (0.1, 0.6):
        assert noisy_categorical(2, noise).mi == pytest.approx(binary_symmetric_channel(noise / 2).mi, abs=1e-14)


PLUGIN_TASKS = [
    discrete_table(SPARSE_3X4, name="sparse-3x4"),
    binary_symmetric_channel(0.1, prior=0.2),
    noisy_categorical(10, 0.5),
]


@pytest.mark.parametrize("task", PLUGIN_TASKS, ids=lambda t: t.id)
def test_plugin_estimate_on_a_large_sample_is_within_its_standard_error(task):
    n = 1_000_000
    x, y = task.sample(n, seed=2024)
    joint = _joint_of(task)
    a = 1 + max(k[0] for k in joint)
    b = 1 + max(k[1] for k in joint)
    counts = np.bincount(x[:, 0] * b + y[:, 0], minlength=a * b).reshape(a, b) / n
    plugin = _enumerated_mi({(i, j): counts[i, j] for i in range(a) for j in range(b)})
    # First-order bias of the plug-in MI, (S_xy - S_x - S_y + 1) / (2n) with S the support sizes (Miller 1955),
    # removed; the remainder is O(1/n^2). Its SD is that of the pointwise MI over sqrt(n) (delta method).
    truth = np.zeros((a, b))
    for (i, j), p in joint.items():
        truth[i, j] = p
    px, py = truth.sum(axis=1), truth.sum(axis=0)
    support = truth > 0
    bias = (support.sum() - (px > 0).sum() - (py > 0).sum() + 1) / (2 * n)
    log_ratio = np.log(truth[support] / np.outer(px, py)[support])
    sd = math.sqrt(np.sum(truth[support] * log_ratio**2) - task.mi**2)
    # 5 standard errors: false-alarm probability ~6e-7.
    assert abs(plugin - bias - task.mi) < 5 * sd / math.sqrt(n)


@pytest.mark.parametrize("task", [*catalogue_tasks(), EXAMPLES[-1]], ids=lambda t: t.id)
def test_sampler_follows_the_table_chi_square(task):
    n = 200_000
    x, y = task.sample(n, seed=99)
    assert x.dtype == np.int64 and y.dtype == np.int64 and x.shape == (n, 1) and y.shape == (n, 1)
    joint = _joint_of(task)
    observed: dict[tuple[int, int], int] = {}
    for key, count in zip(*np.unique(np.hstack([x, y]), axis=0, return_counts=True), strict=True):
        observed[tuple(int(v) for v in key)] = int(count)
    # No sample falls outside the support.
    assert all(joint.get(cell, 0.0) > 0 for cell in observed)
    # Chi-square goodness of fit over the support, cells with expected count < 5 pooled into one; rejected at
    # level 1e-4 (the chance that a correct sampler fails for a given seed).
    cells = sorted((c for c in joint if joint[c] > 0), key=lambda c: joint[c])
    expected = np.array([n * joint[c] for c in cells])
    counts = np.array([observed.get(c, 0) for c in cells], dtype=float)
    small = expected < 5
    if small.any():
        expected = np.append(expected[~small], expected[small].sum())
        counts = np.append(counts[~small], counts[small].sum())
    if len(expected) > 1:
        assert stats.chisquare(counts, expected).pvalue > 1e-4


def test_seed_determinism_and_independence():
    for task in (discrete_table(SPARSE_3X4, name="s"), binary_symmetric_channel(0.2), noisy_categorical(5, 0.3)):
        a, b, c = task.sample(500, 3), task.sample(500, 3), task.sample(500, 4)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


def test_task_metadata_ids_and_pickling():
    tasks = list(catalogue_tasks())
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids))
    for task in tasks:
        assert task.id == task.id.lower() and task.id.startswith("discrete-")
        assert task.family == "discrete" and task.truth == "exact" and task.mi_stderr == 0 and task.discrete
        assert task.version == "1" and (task.dim_x, task.dim_y) == (1, 1)
        json.dumps(dict(task.params))
        clone = pickle.loads(pickle.dumps(task.sampler))
        assert np.array_equal(clone(50, np.random.default_rng(1))[1], task.sampler(50, np.random.default_rng(1))[1])
    assert binary_symmetric_channel(0.1).id == "discrete-bsc-p0.1"
    assert binary_symmetric_channel(0.1, prior=0.2).id == "discrete-bsc-p0.1-prior0.2"
    assert noisy_categorical(10, 0.5).id == "discrete-categorical-m10-noise0.5"
    assert discrete_table(SPARSE_3X4, name="sparse-3x4").id == "discrete-sparse-3x4"


def test_ids_round_trip():
    for task in (binary_symmetric_channel(0.1), binary_symmetric_channel(0.05, prior=0.9), noisy_categorical(7, 0.25)):
        rebuilt = from_id(task.id)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
    assert from_id("discrete-bsc-p0.10") is None  # only the canonical spelling
    assert from_id("discrete-bsc-p0.1-prior0.5") is None  # the default prior is omitted
    assert from_id("discrete-sparse-3x4") is None  # tables live in the catalogue only
    assert from_id("gaussian-pairs-1x1-rho0.5") is None


def test_catalogue_is_cheap():
    start = time.perf_counter()
    list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3


def test_table_is_renormalised_within_tolerance():
    task = discrete_table([[0.5 + 4e-10, 0.0], [0.0, 0.5]], name="nearly")
    assert sum(map(sum, task.params["joint"])) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize(
    ("factory", "kwargs", "message"),
    [
        (binary_symmetric_channel, {"p": -0.1}, r"p \(a probability\) must be a finite number in \[0, 1\]"),
        (binary_symmetric_channel, {"p": 1.5}, r"p \(a probability\) must be a finite number in \[0, 1\]"),
        (binary_symmetric_channel, {"p": float("nan")}, r"p \(a probability\) must be a finite number in \[0, 1\]"),
        (binary_symmetric_channel, {"p": "0.1"}, r"p \(a probability\) must be a finite number in \[0, 1\]"),
        (
            binary_symmetric_channel,
            {"p": 0.1, "prior": 1.01},
            r"prior \(a probability\) must be a finite number in \[0, 1\]",
        ),
        (
            binary_symmetric_channel,
            {"p": 0.1, "prior": -0.5},
            r"prior \(a probability\) must be a finite number in \[0, 1\]",
        ),
        (noisy_categorical, {"m": 1, "noise": 0.1}, r"m \(number of symbols\) must be an integer >= 2"),
        (noisy_categorical, {"m": 2.5, "noise": 0.1}, r"m \(number of symbols\) must be an integer >= 2"),
        (noisy_categorical, {"m": True, "noise": 0.1}, r"m \(number of symbols\)"),
        (noisy_categorical, {"m": 3, "noise": 1.2}, r"noise \(a probability\) must be a finite number in \[0, 1\]"),
        (noisy_categorical, {"m": 3, "noise": -1e-3}, r"noise \(a probability\) must be a finite number in \[0, 1\]"),
        (discrete_table, {"joint": [[0.6, 0.6], [-0.1, -0.1]], "name": "neg"}, r"probabilities in \[0, 1\]"),
        (discrete_table, {"joint": [[0.3, 0.3], [0.3, 0.3]], "name": "sum"}, r"joint must sum to 1"),
        (discrete_table, {"joint": [[float("nan"), 0.5], [0.25, 0.25]], "name": "nan"}, "NaN or infinite"),
        (discrete_table, {"joint": [0.5, 0.5], "name": "flat"}, r"non-empty 2-D table"),
        (discrete_table, {"joint": [[]], "name": "empty"}, r"non-empty 2-D table"),
        (discrete_table, {"joint": [[0.5, 0.5], [0.1]], "name": "ragged"}, r"joint must be a 2-D table"),
        (discrete_table, {"joint": [[1.0]], "name": "Has Space"}, r"name must be lowercase"),
        (discrete_table, {"joint": [[1.0]], "name": ""}, r"name must be lowercase"),
        (discrete_table, {"joint": [[1.0]], "name": "bsc-p0.1"}, r"reserved"),
        (discrete_table, {"joint": [[1.0]], "name": "categorical-m2-noise0"}, r"reserved"),
    ],
)
def test_impossible_parameters_name_the_parameter(factory, kwargs, message):
    with pytest.raises(ValueError, match=message):
        factory(**kwargs)
