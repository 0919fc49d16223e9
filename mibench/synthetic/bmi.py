"""bmi's 40 "Beyond Normal" benchmark tasks as mibench tasks, with bmi's ids in their params.

Czyz, Grabowski, Vogt, Beerenwinkel, Marx, "Beyond Normal: On the Evaluation of Mutual Information Estimators",
NeurIPS 2023; public package ``benchmark-mi`` (task list ``bmi.benchmark.task_list.BENCHMARK_TASKS_LIST``). Each bmi
task is built here from mibench's own families with the same distribution and truth:

* ``1v1-normal-0.75`` is ``gaussian-pairs-1x1-rho0.75`` (0.413339 nats);
* ``multinormal-dense-{d}-{d}-0.5`` is ``multinormal-dense-{d}x{d}-rho0.5`` (every correlation 0.5);
* ``multinormal-sparse-{d}-{d}-2-2.0`` (bmi's "2-pair": a latent-variable model with strength 2, i.e. correlation
  2^2 / (2^2 + 1) = 0.8 within two pairs, the rest independent) is ``gaussian-pairs-{d}x{d}-k2-rho0.8``
  (1.021651 nats for any d);
* ``student-identity-{d}-{d}-{nu}`` is ``student-identity-{d}x{d}-nu{nu}``;
* ``1v1-additive-{e}`` is ``additive-uniform-eps{e}``;
* ``1v1-bimodal-0.75`` is the bivariate normal pushed through bmi's bimodal inverse-CDF maps;
* the prefixes ``normal_cdf-``, ``half_cube-``, ``asinh-``, ``wiggly-``, ``spiral-`` (maps on both sides) and
  ``swissroll_x-`` (x only) are the transforms of :mod:`mibench.synthetic.transforms`, as in bmi.

One difference, on purpose: bmi's benchmark standardises every sample (per-sample mean and SD, an affine map of
x and of y that keeps the MI) before handing it to the estimator. mibench hands estimators the distribution as
defined; an estimator that wants standardised input does it itself.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from mibench.interface import Task
from mibench.synthetic.additive import additive_uniform
from mibench.synthetic.gaussian import gaussian_pairs
from mibench.synthetic.multinormal import multinormal_dense
from mibench.synthetic.student import student_t
from mibench.synthetic.transformed import transform_task
from mibench.synthetic.transforms import Asinh, Bimodal, HalfCube, NormalCDF, Spiral, SwissRoll, Wiggly

#: The paper's one-dimensional correlation.
GAUSSIAN_CORRELATION = 0.75


def _both(task: Task, *maps: object) -> Task:
    """The same maps on x and on y (bmi's ``{prefix}-{base}`` tasks), innermost last as in bmi's prefixes."""
    ordered = list(reversed(maps))
    return transform_task(task, x=ordered, y=ordered)


def _sparse(dim: int) -> Task:
    return gaussian_pairs(dim, dim, rho=0.8, n_pairs=2)


def _bmi_pairs() -> list[tuple[str, Task]]:
    """(bmi id, mibench task) in the order of bmi's ``BENCHMARK_TASKS_LIST``."""
    binormal = gaussian_pairs(1, 1, rho=GAUSSIAN_CORRELATION)
    uniform = _both(binormal, NormalCDF())
    bistudent = student_t(1, 1, nu=1)
    pairs: list[tuple[str, Task]] = [
        ("1v1-normal-0.75", binormal),
        ("normal_cdf-1v1-normal-0.75", uniform),
        ("1v1-additive-0.1", additive_uniform(0.1)),
        ("1v1-additive-0.75", additive_uniform(0.75)),
        ("1v1-bimodal-0.75", transform_task(binormal, x=Bimodal(), y=Bimodal())),
        ("wiggly-1v1-normal-0.75", transform_task(binormal, x=Wiggly(), y=Wiggly())),
        ("half_cube-1v1-normal-0.75", _both(binormal, HalfCube())),
        ("student-identity-1-1-1", bistudent),
        ("asinh-student-identity-1-1-1", _both(bistudent, Asinh())),
        ("swissroll_x-normal_cdf-1v1-normal-0.75", transform_task(uniform, x=SwissRoll())),
    ]
    pairs += [(f"multinormal-dense-{d}-{d}-0.5", multinormal_dense(d, d, rho=0.5)) for d in (2, 3, 5, 25, 50)]
    pairs += [(f"multinormal-sparse-{d}-{d}-2-2.0", _sparse(d)) for d in (2, 3, 5, 25)]
    pairs += [
        (f"student-identity-{d}-{d}-{nu}", student_t(d, d, nu=nu))
        for d, nu in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3))
    ]
    for prefix, maps in (
        ("normal_cdf", (NormalCDF(),)),
        ("half_cube", (HalfCube(),)),
        ("spiral", (Spiral(),)),
        ("spiral-normal_cdf", (Spiral(), NormalCDF())),
    ):
        pairs += [(f"{prefix}-multinormal-sparse-{d}-{d}-2-2.0", _both(_sparse(d), *maps)) for d in (3, 5, 25)]
    pairs += [
        (f"asinh-student-identity-{d}-{d}-{nu}", _both(student_t(d, d, nu=nu), Asinh()))
        for d, nu in ((2, 1), (3, 2), (5, 2))
    ]
    return pairs


@cache
def bmi_tasks() -> tuple[Task, ...]:
    """bmi's 40 benchmark tasks, in bmi's order; ``task.params["bmi_id"]`` holds bmi's id."""
    return tuple(dataclasses.replace(task, params={**task.params, "bmi_id": bmi_id}) for bmi_id, task in _bmi_pairs())


@cache
def bmi_aliases() -> dict[str, str]:
    """bmi id -> mibench task id."""
    return {task.params["bmi_id"]: task.id for task in bmi_tasks()}
