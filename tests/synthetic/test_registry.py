"""The task registry: lookup, parametric ids, filters, errors."""

from __future__ import annotations

import pytest

import mibench
from mibench.errors import UnknownNameError
from mibench.synthetic import catalogue, get_task, list_tasks


def test_catalogue_ids_are_unique_and_rebuild_to_the_same_task():
    for task_id, task in catalogue().items():
        assert task.id == task_id
        assert get_task(task_id).mi == task.mi


def test_parametric_id_outside_the_catalogue():
    task = get_task("gaussian-pairs-3x2-mi1.5")
    assert (task.dim_x, task.dim_y, task.mi) == (3, 2, 1.5)


def test_unknown_task_lists_close_matches():
    with pytest.raises(UnknownNameError, match=r"gaussian-pairs-1x1-rho0\.75"):
        get_task("gausian-pairs-1x1-rho0.75")


def test_filters():
    assert {t.family for t in list_tasks(family="gaussian-pairs")} == {"gaussian-pairs"}
    with pytest.raises(UnknownNameError, match="gaussian-pairs"):
        list_tasks(family="gaussian-pair")
    assert all(t.dim_x + t.dim_y <= 4 for t in list_tasks(max_dim=4))
    assert all(0.5 <= t.mi <= 2 for t in list_tasks(min_mi=0.5, max_mi=2))
    assert all(t.dim_x == 5 for t in list_tasks(dim_x=5)) and list_tasks(dim_x=5)
    assert [t.id for t in list_tasks(pattern="gaussian-pairs-1x1-rho*")] == ["gaussian-pairs-1x1-rho0.75"]


def test_public_api_matches_registry():
    assert [t.id for t in mibench.list_tasks(max_dim=2)] == [t.id for t in list_tasks(max_dim=2)]
    assert mibench.get_task("gaussian-pairs-1x1-rho0.75") is get_task("gaussian-pairs-1x1-rho0.75")


def test_composite_ids_rebuild_from_their_parts():
    spiral = get_task("spiral-normal_cdf-gaussian-pairs-7x7-mi3")
    assert (spiral.family, spiral.dim_x, spiral.mi) == ("transformed", 7, 3.0)
    concat = get_task("concat-gaussian-pairs-1x1-mi1+additive-uniform-eps0.1")
    assert concat.mi == pytest.approx(1.0 + get_task("additive-uniform-eps0.1").mi)
    assert get_task("student-identity-4x2-nu5").family == "student-t"
    with pytest.raises(UnknownNameError):
        get_task("spiral-no-such-base")


def test_truth_filter():
    monte_carlo = list_tasks(truth="monte carlo")
    assert monte_carlo and all(t.mi_stderr > 0 for t in monte_carlo)
    with pytest.raises(UnknownNameError, match="truth kind"):
        list_tasks(truth="guess")


def test_catalogue_sweeps_cover_the_issue_ranges():
    gaussian = list_tasks(family="gaussian-pairs")
    assert {t.dim_x for t in gaussian} >= {1, 2, 5, 10, 25, 50, 100}
    assert max(t.mi for t in gaussian) >= 10 and min(t.mi for t in gaussian) == 0
    nus = {t.params["nu"] for t in list_tasks(family="student-t")}
    assert min(nus) == 1 and max(nus) == 30
    sparsity = {t.params["n_pairs"] for t in gaussian if t.dim_x == 50}
    assert {1, 50} <= sparsity and len(sparsity) >= 3
