"""bmi's 40 "Beyond Normal" tasks: all present, with bmi's ids and the truths bmi publishes (Czyż et al., NeurIPS
2023)."""

from __future__ import annotations

import pytest

import mibench
from mibench.synthetic import get_task, list_tasks
from mibench.synthetic.bmi import bmi_aliases, bmi_tasks

# Truths in nats as bmi publishes them (Czyż et al., "Beyond Normal", NeurIPS 2023), to 6 decimals.
BINORMAL, SPARSE = 0.413339, 1.021651
EXPECTED = {
    "1v1-normal-0.75": BINORMAL,
    "normal_cdf-1v1-normal-0.75": BINORMAL,
    "1v1-additive-0.1": 1.709438,
    "1v1-additive-0.75": 0.333333,
    "1v1-bimodal-0.75": BINORMAL,
    "wiggly-1v1-normal-0.75": BINORMAL,
    "half_cube-1v1-normal-0.75": BINORMAL,
    "student-identity-1-1-1": 0.224171,
    "asinh-student-identity-1-1-1": 0.224171,
    "swissroll_x-normal_cdf-1v1-normal-0.75": BINORMAL,
    "multinormal-dense-2-2-0.5": 0.293893,
    "multinormal-dense-3-3-0.5": 0.413339,
    "multinormal-dense-5-5-0.5": 0.592812,
    "multinormal-dense-25-25-0.5": 1.292184,
    "multinormal-dense-50-50-0.5": 1.624265,
    **{f"multinormal-sparse-{d}-{d}-2-2.0": SPARSE for d in (2, 3, 5, 25)},
    "student-identity-2-2-1": 0.431946,
    "student-identity-2-2-2": 0.193147,
    "student-identity-3-3-2": 0.290922,
    "student-identity-3-3-3": 0.178712,
    "student-identity-5-5-2": 0.448151,
    "student-identity-5-5-3": 0.298544,
    **{
        f"{prefix}-multinormal-sparse-{d}-{d}-2-2.0": SPARSE
        for prefix in ("normal_cdf", "half_cube", "spiral", "spiral-normal_cdf")
        for d in (3, 5, 25)
    },
    "asinh-student-identity-2-2-1": 0.431946,
    "asinh-student-identity-3-3-2": 0.290922,
    "asinh-student-identity-5-5-2": 0.448151,
}


def test_all_forty_tasks_with_bmi_ids_and_truths():
    tasks = bmi_tasks()
    assert len(tasks) == len(EXPECTED) == 40
    assert [t.params["bmi_id"] for t in tasks] == list(EXPECTED)  # bmi's order
    for task in tasks:
        assert task.mi == pytest.approx(EXPECTED[task.params["bmi_id"]], abs=5e-7), task.params["bmi_id"]
    # Six distinct truths in the whole suite, at most 1.71 nats.
    assert max(t.mi for t in tasks) == pytest.approx(1.709438, abs=1e-6)


def test_dimensions_follow_bmi():
    by_bmi = {t.params["bmi_id"]: t for t in bmi_tasks()}
    assert (
        by_bmi["swissroll_x-normal_cdf-1v1-normal-0.75"].dim_x,
        by_bmi["swissroll_x-normal_cdf-1v1-normal-0.75"].dim_y,
    ) == (2, 1)
    assert (by_bmi["multinormal-dense-50-50-0.5"].dim_x, by_bmi["multinormal-dense-50-50-0.5"].dim_y) == (50, 50)
    assert by_bmi["spiral-multinormal-sparse-25-25-2-2.0"].dim_y == 25


def test_bmi_ids_are_aliases_and_the_catalogue_carries_them():
    for bmi_id, task_id in bmi_aliases().items():
        assert get_task(bmi_id).id == task_id
        assert get_task(task_id).params["bmi_id"] == bmi_id  # the catalogue's copy carries the bmi id
    assert mibench.get_task("1v1-normal-0.75").id == "gaussian-pairs-1x1-rho0.75"
    assert len(list_tasks(bmi=True)) == 40


def test_2pair_task_is_bmi_latent_variable_model():
    # bmi's 2-pair task: X_i = 2 Z_i + E_i, Y_i = 2 Z_i + E'_i for i < 2 (strength 2, unit noise), standardised:
    # corr = 4 / 5 = 0.8 within two pairs, every other pair of coordinates independent.
    task = get_task("multinormal-sparse-5-5-2-2.0")
    assert task.params["rho"] == pytest.approx(0.8) and task.params["n_pairs"] == 2
