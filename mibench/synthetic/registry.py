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
from mibench.interface import Task
from mibench.synthetic import gaussian

IdParser = Callable[[str], "Task | None"]

#: Parsers that rebuild a task of a parametric family from its id (``None`` when the id is not theirs).
ID_PARSERS: list[IdParser] = [gaussian.from_id]


def _catalogue_tasks() -> Iterable[Task]:
    """The named tasks listed by ``mibench list tasks`` and used by the suites."""
    yield gaussian.gaussian_pairs(1, 1, rho=0.75)  # bmi's 1v1-normal-0.75: 0.413339 nats
    for dim in (1, 2, 5, 10, 20):
        for mi in (0.0, 0.5, 1.0, 2.0, 4.0):
            yield gaussian.gaussian_pairs(dim, dim, mi=mi)
    for dim in (5, 10, 20):
        yield gaussian.gaussian_pairs(dim, dim, mi=1.0, n_pairs=1)  # sparse: one informative pair
    yield gaussian.gaussian_pairs(1, 5, mi=1.0)
    yield gaussian.gaussian_pairs(5, 1, mi=1.0)


@cache
def catalogue() -> dict[str, Task]:
    """Catalogue tasks by id (built once per process)."""
    tasks: dict[str, Task] = {}
    for task in _catalogue_tasks():
        if task.id in tasks:
            raise DuplicateNameError(f"task id {task.id!r} is defined twice in the catalogue")
        tasks[task.id] = task
    return tasks


def get_task(task_id: str) -> Task:
    """The task with this id: a catalogue entry or any member of a parametric family.

    Raises:
        UnknownNameError: the id is neither in the catalogue nor of a known family's form (lists close matches).
    """
    tasks = catalogue()
    if task_id in tasks:
        return tasks[task_id]
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
) -> list[Task]:
    """Catalogue tasks, optionally filtered.

    Args:
        family: keep tasks of this family.
        dim_x, dim_y: keep tasks with exactly these dimensions.
        max_dim: keep tasks with ``dim_x + dim_y <= max_dim``.
        min_mi, max_mi: keep tasks whose true MI (nats) lies in ``[min_mi, max_mi]``.
        pattern: shell-style pattern on the id (``fnmatch``), e.g. ``"gaussian-pairs-5x5-*"``.

    Raises:
        UnknownNameError: ``family`` names no family of the catalogue (the message lists them).
    """
    if family is not None and family not in families():
        raise UnknownNameError("task family", family, families())
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
        out.append(task)
    return sorted(out, key=lambda t: (t.family, t.dim_x + t.dim_y, t.dim_x, t.mi, t.id))


def families() -> list[str]:
    """Names of the families in the catalogue."""
    return sorted({task.family for task in catalogue().values()})
