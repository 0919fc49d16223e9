"""The task registry: the named catalogue plus id parsers for parametric families.

``get_task(id)`` first looks the id up in the catalogue, then asks each family's parser, so any member of a
parametric family (e.g. ``gaussian-pairs-7x3-mi2.5``) can be rebuilt from its id alone -- which is how a worker
process or a remote machine reconstructs a job's task without anything large being shipped.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from functools import cache

from mibench.errors import DuplicateNameError, UnknownNameError
from mibench.interface import TRUTH_KINDS, Task
from mibench.synthetic import (
    additive,
    bmi,
    channels,
    combine,
    discrete,
    gaussian,
    highdim,
    mixed,
    mixtures,
    multinormal,
    student,
    transformed,
)
from mibench.synthetic.transforms import (
    Affine,
    Asinh,
    Bimodal,
    HalfCube,
    NormalCDF,
    Rotation,
    Spiral,
    SwissRoll,
    Wiggly,
)

IdParser = Callable[[str], "Task | None"]


def _resolve_or_none(task_id: str) -> Task | None:
    try:
        return get_task(task_id)
    except UnknownNameError:
        return None


#: Parsers that rebuild a task of a parametric family from its id (``None`` when the id is not theirs). Composite
#: families (transformed, concatenation) resolve their parts through :func:`get_task` itself.
ID_PARSERS: list[IdParser] = [
    gaussian.from_id,
    multinormal.from_id,
    student.from_id,
    additive.from_id,
    discrete.from_id,
    mixed.from_id,
    mixtures.from_id,
    channels.from_id,
    highdim.from_id,
    lambda task_id: transformed.from_id(task_id, _resolve_or_none),
    lambda task_id: combine.from_id(task_id, get_task),
]

#: The sweeps of the gaussian-pairs family: dimension per side and MI level (nats).
SWEEP_DIMS = (1, 2, 5, 10, 25, 50, 100)
SWEEP_MI = (0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0)


def _gaussian_sweeps() -> Iterable[Task]:
    """Dimension x MI level, sparsity (interacting pairs) at fixed MI, and a few asymmetric shapes."""
    yield gaussian.gaussian_pairs(1, 1, rho=0.75)
    for dim in SWEEP_DIMS:
        for mi in SWEEP_MI:
            yield gaussian.gaussian_pairs(dim, dim, mi=mi)
    for dim, mi, pairs in ((10, 2.0, (1, 2, 5)), (50, 5.0, (1, 5, 25)), (100, 5.0, (1, 10))):
        for k in pairs:
            yield gaussian.gaussian_pairs(dim, dim, mi=mi, n_pairs=k)
    for dim in (5, 10, 20):
        yield gaussian.gaussian_pairs(dim, dim, mi=1.0, n_pairs=1)
    for dim_x, dim_y, mi in ((1, 5, 1.0), (5, 1, 1.0), (2, 10, 2.0), (5, 25, 2.0)):
        yield gaussian.gaussian_pairs(dim_x, dim_y, mi=mi)


def _transformed_sweeps() -> Iterable[Task]:
    """MI-preserving maps of Gaussian bases: same truth, other marginals (and, for spirals, swiss rolls and
    bimodal maps, dependence a linear estimator misreads)."""
    one = gaussian.gaussian_pairs(1, 1, mi=1.0)
    for maps in ((NormalCDF(),), (HalfCube(),), (Asinh(),), (Wiggly(),), (Bimodal(),)):
        yield transformed.transform_task(one, x=maps, y=maps)
    uniform = transformed.transform_task(one, x=NormalCDF(), y=NormalCDF())
    yield transformed.transform_task(uniform, x=SwissRoll())
    for dim in (5, 25):
        base = gaussian.gaussian_pairs(dim, dim, mi=2.0)
        for maps in ((NormalCDF(),), (HalfCube(),), (Spiral(),), (NormalCDF(), Spiral()), (Rotation(0),), (Affine(0),)):
            yield transformed.transform_task(base, x=maps, y=maps)
    yield transformed.transform_task(gaussian.gaussian_pairs(10, 10, mi=5.0), x=(HalfCube(),), y=(Asinh(),))


def _catalogue_tasks() -> Iterable[Task]:
    """The named tasks listed by ``mibench list tasks`` and used by the suites (bmi's first, so that the tasks
    bmi shares with the sweeps carry their bmi id)."""
    yield from bmi.bmi_tasks()
    yield from _gaussian_sweeps()
    yield from multinormal.catalogue_tasks()
    yield from student.catalogue_tasks()
    yield from additive.catalogue_tasks()
    yield from discrete.catalogue_tasks()
    yield from mixed.catalogue_tasks()
    yield from mixtures.catalogue_tasks()
    yield from channels.catalogue_tasks()
    yield from combine.catalogue_tasks()
    yield from _transformed_sweeps()
    yield from highdim.catalogue_tasks()


@cache
def catalogue() -> dict[str, Task]:
    """Catalogue tasks by id (built once per process). A task listed by two sources is kept once (the first,
    e.g. with its bmi id); two different tasks under one id are an error."""
    tasks: dict[str, Task] = {}
    for task in _catalogue_tasks():
        known = tasks.get(task.id)
        if known is None:
            tasks[task.id] = task
        elif (known.mi, known.version, known.dim_x, known.dim_y) != (task.mi, task.version, task.dim_x, task.dim_y):
            raise DuplicateNameError(f"task id {task.id!r} names two different tasks in the catalogue")
    return tasks


def get_task(task_id: str) -> Task:
    """The task with this id: a catalogue entry, any member of a parametric family (including transformed and
    concatenated tasks, whose ids name their parts), or one of bmi's task ids (e.g. ``1v1-normal-0.75``).

    Raises:
        UnknownNameError: the id is neither in the catalogue nor of a known family's form (lists close matches).
    """
    tasks = catalogue()
    if not isinstance(task_id, str):
        raise UnknownNameError("task", task_id, tasks)
    if task_id in tasks:
        return tasks[task_id]
    alias = bmi.bmi_aliases().get(task_id)
    if alias is not None:
        return tasks[alias]
    for parser in ID_PARSERS:
        task = parser(task_id)
        if task is not None:
            return task
    raise UnknownNameError("task", task_id, tasks)


def list_tasks(
    *,
    family: str | None = None,
    dim_x: int | None = None,
    dim_y: int | None = None,
    max_dim: int | None = None,
    min_mi: float | None = None,
    max_mi: float | None = None,
    pattern: str | None = None,
    truth: str | None = None,
    bmi: bool = False,
) -> list[Task]:
    """Catalogue tasks, optionally filtered.

    Args:
        family: keep tasks of this family.
        dim_x, dim_y: keep tasks with exactly these dimensions.
        max_dim: keep tasks with ``dim_x + dim_y <= max_dim``.
        min_mi, max_mi: keep tasks whose true MI (nats) lies in ``[min_mi, max_mi]``.
        pattern: shell-style pattern on the id (``fnmatch``), e.g. ``"gaussian-pairs-5x5-*"``.
        truth: keep tasks whose truth is known this way ("closed form", "exact", "monte carlo", "quadrature").
        bmi: keep only bmi's 40 benchmark tasks (their bmi id is in ``params["bmi_id"]``).

    Raises:
        UnknownNameError: ``family`` names no family of the catalogue (the message lists them).
    """
    if family is not None and family not in families():
        raise UnknownNameError("task family", family, families())
    if truth is not None and truth not in TRUTH_KINDS:
        raise UnknownNameError("truth kind", truth, TRUTH_KINDS)
    out = []
    for task in catalogue().values():
        if family is not None and task.family != family:
            continue
        if dim_x is not None and task.dim_x != dim_x:
            continue
        if dim_y is not None and task.dim_y != dim_y:
            continue
        if max_dim is not None and task.dim_x + task.dim_y > max_dim:
            continue
        if min_mi is not None and task.mi < min_mi:
            continue
        if max_mi is not None and task.mi > max_mi:
            continue
        if pattern is not None and not fnmatch.fnmatchcase(task.id, pattern):
            continue
        if truth is not None and task.truth != truth:
            continue
        if bmi and "bmi_id" not in task.params:
            continue
        out.append(task)
    return sorted(out, key=lambda t: (t.family, t.dim_x + t.dim_y, t.dim_x, t.mi, t.id))


def families() -> list[str]:
    """Names of the families in the catalogue."""
    return sorted({task.family for task in catalogue().values()})
