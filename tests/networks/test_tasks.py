"""Network tasks: ids, exact truths, what the sampler returns under each representation, sampling without
replacement from the finite population, and the context they supply to estimators; noisy-network tasks: their
channel, truth, context, and samples that are the clean rows plus Gaussian noise."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

pytest.importorskip("torch")

from mibench.interface import Task, canonical_json
from mibench.networks.exact import layer_information
from mibench.networks.model import NetworkSpec
from mibench.networks.tasks import (
    BINS,
    NOISY_VERSION,
    PopulationSampler,
    binning_edges,
    network_task,
    network_tasks,
    noisy_network_task,
    parse_task_id,
    task_from_id,
    task_id,
)
from mibench.networks.training import train


@pytest.fixture(scope="module")
def record(twelve):
    return train(twelve, NetworkSpec(activation="tanh"), epochs=2, seed=0, log_at=[0, 2])


def _plug_in_mi(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in MI (nats) of a discrete joint sample, rows as symbols."""
    _, ia = np.unique(a, axis=0, return_inverse=True)
    _, ib = np.unique(b, axis=0, return_inverse=True)
    ia, ib = ia.reshape(-1), ib.reshape(-1)
    joint = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(joint, (ia, ib), 1.0)
    joint /= joint.sum()
    pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])))


def test_all_tasks_have_unique_readable_ids_and_exact_truths(record):
    tasks = network_tasks(record)
    assert len(tasks) == 2 * 6 * 2
    assert len({t.id for t in tasks}) == len(tasks)
    task = network_task(record, 6, 2, "xt")
    assert task.id == "net-12bit-tanh-s0-e2-l6-xt"
    assert isinstance(task, Task) and task.family == "network" and task.truth == "exact" and task.mi_stderr == 0
    assert task.version == f"2-{record.digest}"
    info = layer_information(record.layer_codes(6, 2), record.y)
    assert task.mi == info.i_xt and network_task(record, 6, 2, "ty").mi == info.i_ty
    canonical_json(task.params)  # JSON-able
    assert task.params["record"] == record.identity() and task.params["layer"] == 6
    first = network_task(record, 1, 0, "ty")
    assert first.mi_bits == pytest.approx(0.999157, abs=1e-6)  # tanh T1 is injective at initialisation
    assert network_task(record, 1, 0, "xt", representation="codes").id.endswith("-e0-l1-xt-codes")


def test_representations_and_discrete_flags(record, twelve):
    values_xt = network_task(record, 3, 2, "xt")
    x, t = values_xt.sample(50, seed=1)
    assert x.dtype == np.float64 and t.dtype == np.float64 and not values_xt.discrete
    assert (values_xt.dim_x, values_xt.dim_y) == (12, 5)
    codes_xt = network_task(record, 3, 2, "xt", representation="codes")
    xc, tc = codes_xt.sample(50, seed=1)
    assert xc.dtype == np.int64 and tc.dtype == np.int64 and codes_xt.discrete
    np.testing.assert_array_equal(xc, x)  # same rows for the same seed
    np.testing.assert_array_equal(record.layer_grid(3, 2)[tc], t)  # codes index the layer's grid
    values_ty = network_task(record, 3, 2, "ty")
    tv, y = values_ty.sample(50, seed=1)
    assert tv.dtype == np.float64 and y.dtype == np.int64 and y.shape == (50, 1) and not values_ty.discrete
    assert network_task(record, 3, 2, "ty", representation="codes").discrete
    with pytest.raises(ValueError, match="pair"):
        network_task(record, 3, 2, "xy")
    with pytest.raises(ValueError, match="representation"):
        network_task(record, 3, 2, "xt", representation="bits")
    with pytest.raises(ValueError, match="not logged"):
        network_task(record, 3, 1, "xt")


def test_samples_are_distinct_rows_of_the_data_set(record):
    """n rows drawn without replacement: n = N is every row once (in a seeded order), n < N a uniform subset."""
    task = network_task(record, 6, 2, "xt", representation="codes")
    weights = 2 ** np.arange(11, -1, -1)
    x, t = task.sample(4096, seed=5)
    index = x @ weights  # the row each sample came from
    np.testing.assert_array_equal(np.sort(index), np.arange(4096))  # the whole population, each row once
    assert not np.array_equal(index, np.arange(4096))  # in a seeded order, not the stored one
    np.testing.assert_array_equal(t, record.layer_codes(6, 2)[index].astype(np.int64))
    part = task.sample(1000, seed=7)[0] @ weights
    assert np.unique(part).size == 1000  # no row twice
    # uniform: over many seeds each row is drawn with probability n / N
    hits = np.zeros(4096)
    for seed in range(200):
        hits[np.asarray(task.sample(512, seed=seed)[0] @ weights)] += 1
    expected = 200 * 512 / 4096
    assert hits.mean() == pytest.approx(expected, rel=1e-12)
    assert np.std(hits) == pytest.approx(math.sqrt(expected * (1 - 512 / 4096)), rel=0.1)  # binomial spread
    a = task.sample(100, seed=5)[0]
    assert np.array_equal(a, task.sample(100, seed=5)[0]) and not np.array_equal(a, task.sample(100, seed=6)[0])
    with pytest.raises(ValueError, match="4096 rows"):
        task.sample(4097, seed=0)


def test_context_supplies_the_study_binning_and_the_kde_target(record):
    """tanh layers: Shwartz-Ziv & Tishby's 30 edges on (-1, 1); the other side as symbols; the KDE target by pair."""
    xt, ty = network_task(record, 3, 2, "xt"), network_task(record, 3, 2, "ty")
    assert xt.context == {
        "strategy": "fixed-edges",
        "edges": np.linspace(-1, 1, 30).tolist(),
        "x_strategy": "none",
        "target": "input",
    }
    assert ty.context["y_strategy"] == "none" and ty.context["target"] == "labels" and "x_strategy" not in ty.context
    assert network_task(record, 3, 2, "xt", representation="codes").context == {"strategy": "none", "target": "input"}
    canonical_json(dict(xt.context))  # JSON-able, so the runner can record it


def test_relu_edges_span_every_layer_and_epoch(twelve):
    relu = train(twelve, NetworkSpec(activation="relu"), epochs=2, seed=0, log_at=[0, 2])
    edges = binning_edges(relu)
    values = [relu.layer_values(layer, epoch) for layer in range(1, relu.n_layers + 1) for epoch in (0, 2)]
    assert len(edges) == BINS + 1
    assert edges[0] == min(float(v.min()) for v in values) and edges[-1] == max(float(v.max()) for v in values)


def test_plug_in_on_the_whole_population_is_the_truth(record):
    """n = N gives every row once, so the sample's empirical law is the population's and the plug-in MI of the
    codes is the exact truth (an independent count of the same quantity)."""
    task = network_task(record, 6, 2, "ty", representation="codes")
    t, y = task.sample(4096, seed=0)
    assert _plug_in_mi(t, y) == pytest.approx(task.mi, abs=1e-12)
    task = network_task(record, 6, 2, "xt", representation="codes")
    x, t = task.sample(4096, seed=0)
    assert _plug_in_mi(x, t) == pytest.approx(task.mi, abs=1e-12)
    assert _plug_in_mi(t, t) == pytest.approx(task.mi, abs=1e-12)  # I(X; T) = H(T)


def test_tasks_pickle_for_worker_processes(record):
    task = network_task(record, 2, 2, "ty")
    clone = pickle.loads(pickle.dumps(task))
    assert clone == task and isinstance(clone.sampler, PopulationSampler)
    np.testing.assert_array_equal(clone.sample(10, 3)[0], task.sample(10, 3)[0])


def test_ids_parse_and_rebuild_from_a_record(record):
    for task in network_tasks(record, layers=[1, 6]) + network_tasks(record, epochs=[2], representation="codes"):
        parts = parse_task_id(task.id)
        assert parts is not None and parts["record"] == record.name
        rebuilt = task_from_id(record, task.id)
        assert rebuilt == task and rebuilt.version == task.version
    assert task_id(record.name, 2, 6, "ty") == network_task(record, 6, 2, "ty").id
    assert task_id(record.name, 2, 6, "xt", "codes") == network_task(record, 6, 2, "xt", representation="codes").id
    assert parse_task_id("gaussian-pairs-1x1-rho0.5") is None
    assert task_from_id(record, "net-12bit-relu-s0-e2-l1-xt") is None  # another record
    assert task_from_id(record, "net-12bit-tanh-s0-e1-l1-xt") is None  # epoch not logged
    assert task_from_id(record, "net-12bit-tanh-s0-e2-l9-xt") is None  # no such layer
    assert parse_task_id("net-toy-relu-w3-b4-s1-e10-l2-ty-codes") == {
        "record": "net-toy-relu-w3-b4-s1",
        "epoch": 10,
        "layer": 2,
        "pair": "ty",
        "representation": "codes",
        "noise_std": None,
    }


# --------------------------------------------------------------------------------------------------------------
# Noisy-network tasks
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy_dir(record, tmp_path_factory):
    from mibench.networks.records import save_record_file

    folder = tmp_path_factory.mktemp("noisy-records")
    save_record_file(record, folder)
    return folder


@pytest.mark.parametrize("pair", ["xt", "ty"])
def test_noisy_task_carries_its_channel_truth_and_context(record, noisy_dir, pair) -> None:
    from mibench.networks.noisy import MAX_STDERR, layer_truth, truth_method

    task = noisy_network_task(record, 5, 2, pair, 0.1, records_dir=noisy_dir)
    truth = layer_truth(record, 5, 2, pair, 0.1, records_dir=noisy_dir)
    assert task.id == f"net-12bit-tanh-s0-e2-l5-{pair}-b0.1" and task.family == "network"
    assert task.truth == "monte carlo" and task.mi == truth.mi and 0 <= task.mi_stderr == truth.stderr <= MAX_STDERR
    assert task.version == f"{NOISY_VERSION}-{record.digest}-b0.1-{truth_method()}"
    assert task.channel is not None and task.channel.noise_std == 0.1
    assert task.channel.target == ("input" if pair == "xt" else "labels")
    assert (task.dim_x, task.dim_y) == ((12, 3) if pair == "xt" else (3, 1)) and not task.discrete  # T5: 3 units
    quantized = network_task(record, 5, 2, pair)
    assert task.context == {**quantized.context, "noise_std": 0.1, "noise_variance": 0.1**2}
    assert task.params["noise_std"] == 0.1 and task.params["truth_value"] == truth.value
    canonical_json(task.params)
    canonical_json(dict(task.context))
    # the noisy truth is below the exact one of the quantized layer (data processing), within the Monte Carlo
    assert task.mi <= quantized.mi + 3 * task.mi_stderr


def test_noisy_sample_is_the_clean_sample_plus_gaussian_noise(record, noisy_dir) -> None:
    """The same rows for one seed; the noisy side differs from the clean values by N(0, b^2) draws."""
    b = 0.05
    xt = noisy_network_task(record, 3, 2, "xt", b, records_dir=noisy_dir)
    x, t = xt.sample(4096, seed=11)
    xc, s = xt.sample_clean(4096, seed=11)
    np.testing.assert_array_equal(x, xc)  # X untouched: the same rows
    weights = 2 ** np.arange(11, -1, -1)
    np.testing.assert_array_equal(s, record.layer_values(3, 2)[(x @ weights).astype(int)])  # S = the row's layer
    noise = (t - s).reshape(-1)
    assert noise.size == 4096 * 5
    assert abs(noise.mean()) < 4 * b / math.sqrt(noise.size)
    assert noise.std() == pytest.approx(b, rel=0.02)
    from scipy.stats import kstest

    assert kstest(noise / b, "norm").pvalue > 1e-3
    assert not np.array_equal(xt.sample(4096, seed=12)[1] - xt.sample_clean(4096, seed=12)[1], t - s)
    ty = noisy_network_task(record, 3, 2, "ty", b, records_dir=noisy_dir)
    tn, y = ty.sample(100, seed=3)
    tc, yc = ty.sample_clean(100, seed=3)
    np.testing.assert_array_equal(y, yc)
    assert y.dtype == np.int64 and tn.dtype == np.float64 and 0 < np.std(tn - tc) < 2 * b


def test_noisy_ids_rebuild_and_refuse_other_spellings(record, noisy_dir) -> None:
    for tid in (task_id(record.name, 2, 6, "xt", noise_std=0.01), task_id(record.name, 0, 1, "ty", noise_std=0.1)):
        task = task_from_id(record, tid, records_dir=noisy_dir)
        assert task is not None and task.id == tid and parse_task_id(tid)["noise_std"] is not None
        clone = pickle.loads(pickle.dumps(task))
        np.testing.assert_array_equal(clone.sample(10, 3)[1], task.sample(10, 3)[1])
    assert task_from_id(record, f"{record.name}-e2-l6-xt-b0.010", records_dir=noisy_dir) is None
    assert task_from_id(record, f"{record.name}-e1-l6-xt-b0.01", records_dir=noisy_dir) is None  # epoch not logged
    tasks = network_tasks(record, layers=[6], epochs=[2], noise_std=0.1, records_dir=noisy_dir)
    assert [t.id for t in tasks] == [f"{record.name}-e2-l6-xt-b0.1", f"{record.name}-e2-l6-ty-b0.1"]
    with pytest.raises(ValueError, match="noise level"):
        noisy_network_task(record, 6, 2, "xt", -1.0)
