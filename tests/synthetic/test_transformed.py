"""Transformed tasks: same truth, samples equal to the maps applied to the base sample, readable unique ids."""

from __future__ import annotations

import itertools
import json
import pickle

import numpy as np
import pytest

from mibench.interface import Task
from mibench.synthetic import gaussian
from mibench.synthetic.gaussian import gaussian_pairs
from mibench.synthetic.transformed import (
    FAMILY,
    TransformedSampler,
    from_id,
    standard_transforms,
    transform_task,
    transformed_id,
)
from mibench.synthetic.transforms import (
    Affine,
    Asinh,
    Bimodal,
    HalfCube,
    NormalCDF,
    Rotation,
    SignedPower,
    Spiral,
    SwissRoll,
    Transform,
    Wiggly,
)

BASE_1 = gaussian_pairs(1, 1, rho=0.75)
BASE_5 = gaussian_pairs(5, 5, mi=1.0)


def _apply(maps, a):
    for f in maps:
        a = f(a)
    return a


class CountingSampler:
    """A module-level (picklable) sampler with integer output, for carried fields and dtype handling."""

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, 4, size=(n, 2))
        return x, x[:, :1] + rng.integers(0, 2, size=(n, 1))


MONTE_CARLO_BASE = Task(
    id="toy-discrete-2x1",
    family="toy",
    dim_x=2,
    dim_y=1,
    mi=0.5,
    sampler=CountingSampler(),
    mi_stderr=0.01,
    truth="monte carlo",
    params={"k": 4},
    version="7",
    description="toy",
    discrete=True,
)


@pytest.mark.parametrize(
    ("base", "x", "y"),
    [
        (BASE_1, [NormalCDF()], [NormalCDF()]),
        (BASE_1, [NormalCDF(), SwissRoll()], [NormalCDF()]),
        (BASE_1, [Wiggly()], [Wiggly()]),
        (BASE_1, [Bimodal()], [Bimodal()]),
        (BASE_5, [HalfCube(), Spiral()], [Asinh(), Spiral(), Rotation(1)]),
        (BASE_5, [Affine(2)], []),
        (MONTE_CARLO_BASE, [], [SignedPower(0.5)]),
    ],
)
def test_sample_is_the_maps_applied_to_the_base_sample_bit_for_bit(base, x, y):
    task = transform_task(base, x=x, y=y)
    tx, ty = task.sample(500, seed=3)
    bx, by = base.sample(500, seed=3)
    concrete_x = [f.for_side("x") for f in x]
    concrete_y = [f.for_side("y") for f in y]
    assert np.array_equal(tx, _apply(concrete_x, bx.astype(np.float64)))
    assert np.array_equal(ty, _apply(concrete_y, by.astype(np.float64)))
    assert tx.dtype == ty.dtype == np.float64
    assert (task.dim_x, task.dim_y) == (tx.shape[1], ty.shape[1])
    assert not np.array_equal(task.sample(500, seed=4)[0], tx)


def test_truth_fields_are_carried_and_params_describe_the_composition():
    task = transform_task(MONTE_CARLO_BASE, x=Rotation(5), y=[Asinh(), Wiggly()])
    for field in ("mi", "mi_stderr", "truth", "discrete"):
        assert getattr(task, field) == getattr(MONTE_CARLO_BASE, field)
    assert task.family == FAMILY == "transformed"
    assert task.version == "7+1.1.1.1"
    p = task.params
    assert p["base"] == "toy-discrete-2x1" and p["base_family"] == "toy" and p["base_version"] == "7"
    assert p["base_params"] == {"k": 4}
    assert p["x_transforms"] == ["rotation-s5"] and p["y_transforms"] == ["asinh", "wiggly"]
    assert p["y_transform_specs"][1] == {"class": "Wiggly", "version": "1", "variant": "y"}
    json.dumps(task.describe())  # JSON-able
    assert "asinh then wiggly" in task.description


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (NormalCDF(), NormalCDF(), "normal_cdf-gaussian-pairs-5x5-mi1"),
        ([NormalCDF(), Spiral()], [NormalCDF(), Spiral()], "spiral-normal_cdf-gaussian-pairs-5x5-mi1"),
        (HalfCube(), None, "half_cube_x-gaussian-pairs-5x5-mi1"),
        (None, [Asinh()], "asinh_y-gaussian-pairs-5x5-mi1"),
        (Asinh(), HalfCube(), "asinh_x-half_cube_y-gaussian-pairs-5x5-mi1"),
        ([Asinh(), HalfCube()], None, "half_cube_x-asinh_x-gaussian-pairs-5x5-mi1"),
        ([NormalCDF(), Asinh()], [NormalCDF()], "asinh_x-normal_cdf-gaussian-pairs-5x5-mi1"),
        ([Asinh(), HalfCube()], [Asinh()], "half_cube_x-asinh-gaussian-pairs-5x5-mi1"),
        ([HalfCube(), Asinh()], [Asinh()], "asinh_x-half_cube_x-asinh_y-gaussian-pairs-5x5-mi1"),
        (Wiggly(), Wiggly(), "wiggly-gaussian-pairs-5x5-mi1"),
        (Wiggly("x"), Wiggly("y"), "wiggly-gaussian-pairs-5x5-mi1"),  # the same task as the line above
        (Wiggly("y"), Wiggly("x"), "wiggly_fy_x-wiggly_fx_y-gaussian-pairs-5x5-mi1"),
        (Rotation(3), Affine(3), "rotation-s3_x-affine-s3_y-gaussian-pairs-5x5-mi1"),
        (Spiral(speed=0.5), None, "spiral_s0.5_x-gaussian-pairs-5x5-mi1"),
        (SignedPower(1.5), SignedPower(1.5), "power1.5-gaussian-pairs-5x5-mi1"),
    ],
)
def test_ids(x, y, expected):
    task = transform_task(BASE_5, x=x, y=y)
    assert task.id == expected
    assert transform_task(BASE_5, x=x, y=y).id == expected  # deterministic


def test_bmi_swiss_roll_id_and_nesting_composes():
    uniform = transform_task(BASE_1, x=NormalCDF(), y=NormalCDF())
    nested = transform_task(uniform, x=SwissRoll())
    flat = transform_task(BASE_1, x=[NormalCDF(), SwissRoll()], y=NormalCDF())
    assert (
        nested.id == flat.id == "swissroll_x-normal_cdf-gaussian-pairs-1x1-rho0.75"
    )  # bmi: swissroll_x-normal_cdf-1v1-...
    assert (nested.dim_x, nested.dim_y) == (2, 1)
    assert nested.params["base"] == BASE_1.id and nested.version == flat.version == "1+1.1.1.1"
    assert nested.sampler == flat.sampler
    assert np.array_equal(nested.sample(100, 0)[0], flat.sample(100, 0)[0])


def test_ids_are_unique_over_many_compositions():
    maps = [NormalCDF(), HalfCube(), Asinh(), Wiggly("x"), Wiggly("y"), Spiral((0, 1)), Rotation(0), Rotation(1)]
    lists = [[]] + [[f] for f in maps] + [list(p) for p in itertools.permutations(maps[:4], 2)]
    seen: dict[str, tuple] = {}
    for x, y in itertools.product(lists, lists):
        if not x and not y:
            continue
        task = transform_task(BASE_5, x=x, y=y)
        key = (tuple(x), tuple(y))
        assert seen.setdefault(task.id, key) == key, f"{task.id} built from {key} and {seen[task.id]}"
        assert not any(c.isspace() for c in task.id)
    assert len(seen) == len(lists) ** 2 - 1


def test_composition_order():
    a = transform_task(BASE_1, x=[HalfCube(), NormalCDF()])
    b = transform_task(BASE_1, x=[NormalCDF(), HalfCube()])
    assert a.id == "normal_cdf_x-half_cube_x-gaussian-pairs-1x1-rho0.75"
    assert b.id == "half_cube_x-normal_cdf_x-gaussian-pairs-1x1-rho0.75"
    base_x = BASE_1.sample(200, 1)[0]
    ax, bx = a.sample(200, 1)[0], b.sample(200, 1)[0]
    assert np.array_equal(ax, NormalCDF()(HalfCube()(base_x)))
    assert np.array_equal(bx, HalfCube()(NormalCDF()(base_x)))
    assert not np.allclose(ax, bx)


@pytest.mark.parametrize(
    ("base", "x", "y", "pattern"),
    [
        (BASE_5, SwissRoll(), None, r"'swissroll' to x \(dimension 5\).*needs input dimension 1"),
        (gaussian_pairs(2, 2, mi=1.0), None, Spiral(), r"'spiral' to y \(dimension 2\).*dimension >= 3"),
        (BASE_1, Spiral(), None, r"'spiral' to x \(dimension 1\).*dimension >= 2"),
        (BASE_1, [NormalCDF(), SwissRoll(), SwissRoll()], None, r"'swissroll' to x \(dimension 2\)"),
    ],
)
def test_maps_that_do_not_fit_the_dimension_raise(base, x, y, pattern):
    with pytest.raises(ValueError, match=pattern):
        transform_task(base, x=x, y=y)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one transform"):
        transform_task(BASE_1)
    with pytest.raises(ValueError, match="at least one transform"):
        transform_task(BASE_1, x=[], y=())
    with pytest.raises(TypeError, match="Transform"):
        transform_task(BASE_1, x=np.arcsinh)
    with pytest.raises(TypeError, match="Task"):
        transform_task("gaussian-pairs-1x1-rho0.75", x=Asinh())


def test_pickle_round_trip_of_the_sampler_and_task():
    task = transform_task(BASE_5, x=[NormalCDF(), Spiral()], y=[Bimodal(), Affine(1)])
    sampler = pickle.loads(pickle.dumps(task.sampler))
    assert isinstance(sampler, TransformedSampler) and sampler == task.sampler
    x1, y1 = sampler(300, np.random.default_rng(9))
    x2, y2 = task.sampler(300, np.random.default_rng(9))
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    clone = pickle.loads(pickle.dumps(task))
    assert clone == task and np.array_equal(clone.sample(50, 2)[1], task.sample(50, 2)[1])


def test_standard_transforms():
    maps = standard_transforms()
    assert {
        "normal_cdf",
        "half_cube",
        "asinh",
        "wiggly",
        "bimodal",
        "spiral",
        "swissroll",
        "rotation-s0",
        "affine-s0",
    } <= set(maps)
    for name, f in maps.items():
        assert isinstance(f, Transform) and f.name == name
        if name == "swissroll":
            task = transform_task(transform_task(BASE_1, x=maps["normal_cdf"]), x=f)
        else:
            task = transform_task(gaussian_pairs(3, 3, mi=1.0), x=f, y=f)
            assert task.id == f"{name}-gaussian-pairs-3x3-mi1"
        x, y = task.sample(100, 0)
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))


def _resolve(task_id):
    return gaussian.from_id(task_id)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (NormalCDF(), NormalCDF()),
        ([NormalCDF(), Spiral()], [NormalCDF(), Spiral()]),
        ([HalfCube(), Asinh()], [Asinh()]),
        (Wiggly("y"), Bimodal()),
        (Spiral((0, 3), 0.25), Rotation(11)),
        (None, [Affine(2), SignedPower(0.75)]),
    ],
)
def test_from_id_rebuilds_the_task(x, y):
    task = transform_task(BASE_5, x=x, y=y)
    rebuilt = from_id(task.id, _resolve)
    assert rebuilt is not None
    assert (rebuilt.id, rebuilt.version, rebuilt.mi, rebuilt.dim_x) == (task.id, task.version, task.mi, task.dim_x)
    assert rebuilt.sampler == task.sampler


def test_from_id_rejects_other_ids():
    assert from_id("gaussian-pairs-5x5-mi1", _resolve) is None  # no maps
    assert from_id("asinh-no-such-family-1", _resolve) is None  # unknown base
    assert from_id("asinh_y-asinh_x-gaussian-pairs-5x5-mi1", _resolve) is None  # not canonical (x first)
    assert from_id("swissroll-gaussian-pairs-5x5-mi1", _resolve) is None  # does not fit the dimension
    assert from_id("asinh-", _resolve) is None

    def raising(task_id):
        raise KeyError(task_id)

    assert from_id("asinh-gaussian-pairs-5x5-mi1", raising) is None
    from mibench.errors import UnknownNameError

    def unknown(task_id):
        raise UnknownNameError("task", task_id, {})

    assert from_id("asinh-gaussian-pairs-5x5-mi1", unknown) is None
    assert transformed_id("b", ["p", "q"], ["p"]) == "q_x-p-b"
