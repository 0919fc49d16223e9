"""One way from a task id to a task: synthetic ids as before, network ids through a records directory."""

from __future__ import annotations

import math

import pytest

import mibench
from mibench.errors import MIBenchError, UnknownNameError
from mibench.resolver import MissingRecordError, is_network_task_id, resolve_task
from tests.runner.toys import tiny_record


@pytest.mark.parametrize(
    "task_id", ["gaussian-pairs-1x1-rho0.75", "gaussian-pairs-3x2-mi1.5", "1v1-normal-0.75", "student-identity-4x2-nu5"]
)
def test_synthetic_ids_resolve_as_get_task_does(task_id, tmp_path):
    expected = mibench.get_task(task_id)
    for records_dir in (None, tmp_path):  # a records directory changes nothing for synthetic tasks
        task = resolve_task(task_id, records_dir)
        assert (task.id, task.version, task.mi, task.dim_x, task.dim_y) == (
            expected.id,
            expected.version,
            expected.mi,
            expected.dim_x,
            expected.dim_y,
        )


def test_unknown_synthetic_ids_are_unknown_names():
    with pytest.raises(UnknownNameError, match="unknown task"):
        resolve_task("no-such-task")


def test_network_ids_are_recognised_by_their_form():
    assert is_network_task_id("net-12bit-tanh-s0-e100-l6-xt")
    assert is_network_task_id("net-12bit-tanh-s0-e100-l6-ty-codes")
    assert not is_network_task_id("gaussian-pairs-1x1-rho0.75")
    assert not is_network_task_id("net-12bit-tanh-s0-e100-l6-xy")


def test_a_network_id_without_records_dir_says_what_to_give():
    with pytest.raises(MissingRecordError) as raised:
        resolve_task("net-12bit-tanh-s0-e100-l6-xt")
    message = str(raised.value)
    assert "network task" in message and "records_dir" in message and "--records DIR" in message
    assert isinstance(raised.value, MIBenchError) and isinstance(raised.value, ValueError)


def test_a_missing_record_names_the_expected_path(tmp_path):
    with pytest.raises(MissingRecordError) as raised:
        resolve_task("net-12bit-tanh-s0-e100-l6-xt", tmp_path)
    message = str(raised.value)
    assert "'net-12bit-tanh-s0'" in message and str(tmp_path / "net-12bit-tanh-s0.npz") in message


def test_a_network_task_is_rebuilt_from_its_record(tmp_path):
    name, _ = tiny_record(tmp_path)
    task = resolve_task(f"{name}-e1-l1-xt", tmp_path)
    assert task.id == f"{name}-e1-l1-xt" and task.family == "network" and task.truth == "exact"
    assert task.mi == pytest.approx(math.log(4))  # 4 rows, 4 distinct layer values: I(X; T) = H(T) = ln 4
    assert (task.dim_x, task.dim_y) == (2, 3)
    x, y = task.sample(4, seed=3)
    assert x.shape == (4, 2) and y.shape == (4, 3)
    assert resolve_task(f"{name}-e1-l1-xt", str(tmp_path)) is task  # cached per process
    with pytest.raises(UnknownNameError):  # the record has no epoch 2
        resolve_task(f"{name}-e2-l1-xt", tmp_path)
