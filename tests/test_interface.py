"""The contracts of mibench.interface: validation, parameter handling, tasks."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from mibench.interface import (
    BaseEstimator,
    Estimate,
    EstimatorTags,
    Task,
    clone,
    get_params,
    params_hash,
    validate_sample,
)


class Toy(BaseEstimator):
    tags = EstimatorTags(min_samples=3)

    def __init__(self, *, scale: float = 1.0, name: str = "a"):
        self.scale = scale
        self.name = name

    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
        return self.scale * float(np.corrcoef(x[:, 0], y[:, 0])[0, 1] ** 2)


class InfoOnly(BaseEstimator):
    def __init__(self):
        pass

    def estimate_with_info(self, x, y):
        return Estimate(1.5, {"iterations": 3})


class ForgetsParam(BaseEstimator):
    def __init__(self, *, k=3):
        self.kk = k


def test_validate_sample_reshapes_1d_and_converts_to_float64():
    x, y = validate_sample([1, 2, 3], np.arange(3, dtype=np.float32))
    assert x.shape == (3, 1) and y.shape == (3, 1)
    assert x.dtype == np.float64 and y.dtype == np.float64


def test_validate_sample_keeps_integers_when_allowed():
    x, _ = validate_sample(np.array([1, 2, 3]), np.array([0, 1, 0]), allow_integer=True)
    assert x.dtype == np.int64


def test_validate_sample_does_not_modify_input():
    x = np.array([[3.0], [1.0], [2.0]], dtype=np.float32)
    y = np.array([1, 2, 3])
    x_before, y_before = x.copy(), y.copy()
    validate_sample(x, y)
    assert np.array_equal(x, x_before) and x.dtype == np.float32
    assert np.array_equal(y, y_before) and y.dtype == y_before.dtype


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((5, 1)), np.zeros((4, 1)), "same number of samples"),
        (np.zeros((2, 2, 2)), np.zeros((2, 1)), "1-D or 2-D"),
        (np.float64(1.0), np.zeros((1, 1)), "1-D or 2-D"),
        (np.array([1.0, np.nan, 2.0]), np.zeros(3), "NaN or infinite"),
        (np.array([1.0, np.inf, 2.0]), np.zeros(3), "NaN or infinite"),
        (np.array(["a", "b"]), np.zeros(2), "numeric"),
        (np.array([1j, 2j]), np.zeros(2), "real"),
        (np.zeros((3, 0)), np.zeros((3, 1)), "no columns"),
        (np.zeros(1), np.zeros(1), "too few samples"),
    ],
)
def test_validate_sample_rejects_bad_input_with_a_named_problem(x, y, message):
    with pytest.raises(ValueError, match=message):
        validate_sample(x, y)


def test_params_are_stored_verbatim_read_back_and_cloned():
    est = Toy(scale=2.0, name="b")
    assert get_params(est) == {"scale": 2.0, "name": "b"}
    copy = clone(est, scale=3.0)
    assert copy.get_params() == {"scale": 3.0, "name": "b"} and est.scale == 2.0
    assert repr(est) == "Toy(scale=2.0, name='b')"
    assert pickle.loads(pickle.dumps(est)) == est
    with pytest.raises(ValueError, match="no hyperparameter"):
        clone(est, bins=3)


def test_get_params_requires_verbatim_storage():
    with pytest.raises(AttributeError, match="store"):
        get_params(ForgetsParam())


def test_params_hash_is_stable_and_order_independent():
    assert params_hash({"a": 1, "b": 2.5}) == params_hash({"b": 2.5, "a": 1})
    assert params_hash({"a": 1}) != params_hash({"a": 2})
    assert params_hash({"a": np.int64(3)}) == params_hash({"a": 3})
    # The same digest in a fresh interpreter (no per-process salt, unlike hash()).
    code = "from mibench.interface import params_hash; print(params_hash({'k': 3}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == params_hash({"k": 3})


def test_estimate_and_estimate_with_info_default_to_each_other():
    x = np.random.default_rng(0).normal(size=(50, 1))
    assert Toy().estimate_with_info(x, x).value == pytest.approx(1.0)
    assert InfoOnly().estimate(x, x) == 1.5
    with pytest.raises(NotImplementedError):
        BaseEstimator().estimate(x, x)


def _sampler(n, rng):
    z = rng.normal(size=(n, 1))
    return z, z + rng.normal(size=(n, 1))


def test_task_sample_is_deterministic_and_checks_shapes():
    task = Task(id="toy", family="toy", dim_x=1, dim_y=1, mi=0.5 * np.log(2), sampler=_sampler)
    a = task.sample(10, seed=3)
    b = task.sample(10, seed=3)
    c = task.sample(10, seed=4)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    assert task.mi_bits == pytest.approx(0.5)
    bad = Task(id="bad", family="toy", dim_x=2, dim_y=1, mi=0.0, sampler=_sampler)
    with pytest.raises(RuntimeError, match="expected"):
        bad.sample(5, seed=0)
    for n in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n must be"):
            task.sample(n, seed=0)
    with pytest.raises(ValueError, match="seed"):
        task.sample(5, seed=-1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "has space"}, "whitespace"),
        ({"dim_x": 0}, "dim_x"),
        ({"mi": -0.1}, "mi must be"),
        ({"mi": float("nan")}, "mi must be"),
        ({"mi_stderr": -1.0}, "mi_stderr"),
        ({"truth": "guess"}, "truth must be"),
    ],
)
def test_task_rejects_impossible_fields(fields, message):
    base = {"id": "t", "family": "f", "dim_x": 1, "dim_y": 1, "mi": 0.1, "sampler": _sampler}
    with pytest.raises(ValueError, match=message):
        Task(**{**base, **fields})


def test_task_describe_is_json_able():
    import json

    task = Task(id="toy", family="toy", dim_x=1, dim_y=1, mi=0.1, sampler=_sampler, params={"rho": 0.3})
    described = json.loads(json.dumps(task.describe()))
    assert described["id"] == "toy" and described["params"] == {"rho": 0.3} and "sampler" not in described


def _channel_task(noise_std=0.1, target="input"):
    from functools import partial

    from mibench.interface import Channel

    def clean(n, rng, target):
        centres = rng.integers(0, 4, size=n).astype(float)
        layer = np.column_stack([np.tanh(centres), centres / 4])
        return (centres, layer) if target == "input" else (layer, centres.astype(int))

    channel = Channel(noise_std, target, partial(clean, target=target))
    dims = (1, 2) if target == "input" else (2, 1)
    return Task("toy-channel", "toy", *dims, mi=1.0, sampler=channel.sampler(), channel=channel, truth="monte carlo")


@pytest.mark.parametrize("target", ["input", "labels"])
def test_a_channel_task_draws_the_same_rows_before_the_noise(target):
    task = _channel_task(0.1, target)
    x, y = task.sample(20_000, 3)
    cx, cy = task.sample_clean(20_000, 3)
    noisy, clean, other, other_clean = (y, cy, x, cx) if target == "input" else (x, cx, y, cy)
    assert np.array_equal(other, other_clean)  # the clean side is the same rows
    noise = noisy - clean
    # the noise is N(0, 0.1^2) per coordinate: its SD estimate has relative standard error 1/sqrt(2 n) = 0.5%
    assert noise.std(axis=0) == pytest.approx([0.1, 0.1], rel=5 * (2 * 20_000) ** -0.5)
    assert abs(noise.mean()) < 5 * 0.1 / np.sqrt(noise.size)
    assert task.channel.noisy_side == ("y" if target == "input" else "x")
    assert task.context == {"noise_std": 0.1, "noise_variance": pytest.approx(0.01), "target": target}
    assert task.describe()["channel"] == {"noise_std": 0.1, "target": target}


def test_channel_mistakes_are_refused():
    from mibench.interface import Channel

    with pytest.raises(ValueError, match="noise_std must be a positive"):
        Channel(0.0, "input", lambda n, rng: (None, None))
    with pytest.raises(ValueError, match="target must be one of"):
        Channel(0.1, "output", lambda n, rng: (None, None))
    with pytest.raises(ValueError, match="has no clean values"):
        Task("plain", "toy", 1, 1, mi=0.0, sampler=lambda n, rng: (np.zeros(n), np.zeros(n))).sample_clean(5, 0)
    task = _channel_task()
    with pytest.raises(ValueError, match="disagrees with its channel"):
        Task("t", "toy", 1, 2, mi=1.0, sampler=task.sampler, channel=task.channel, context={"noise_std": 0.2})
