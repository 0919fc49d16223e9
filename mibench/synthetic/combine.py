"""Independent concatenation of tasks: ``X = (X_1, ..., X_k)``, ``Y = (Y_1, ..., Y_k)`` with the pairs
``(X_i, Y_i)`` drawn independently of one another, each from its own task's law.

Because the pairs are mutually independent, the joint density factorises and MI adds (chain rule, Cover & Thomas,
*Elements of Information Theory*, 2nd ed., Theorem 2.5.2, with ``I(X_i; Y_j) = 0`` across blocks):

    I(X; Y) = sum_i I(X_i; Y_i)                 [nats]

This builds heterogeneous tasks (e.g. a heavy-tailed block next to a Gaussian one, or a band-supported 1-D block
next to a high-dimensional one) whose truth is as good as their parts': closed form when all parts are, a Monte-Carlo
truth with standard error ``sqrt(sum of squares)`` when any part is Monte Carlo.

Sampling: the one generator passed in is split with ``rng.spawn(k)`` into ``k`` independent child generators (numpy's
``SeedSequence`` spawning), and part ``i`` draws from child ``i`` alone, so each block is exactly what its own
sampler gives with that child stream.

Nested concatenations are flattened (concatenation is associative), so every combination has one id:
``concat-{id_1}+{id_2}+...``. Part ids must therefore not contain ``+``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from mibench.interface import Task
from mibench.synthetic.additive import additive_uniform
from mibench.synthetic.gaussian import gaussian_pairs
from mibench.synthetic.student import student_t

FAMILY = "concatenation"
PREFIX = "concat-"
SEPARATOR = "+"
VERSION = "1"

#: Order of "how the truth is known" from weakest to strongest; a combination is as weak as its weakest part.
_TRUTH_ORDER = ("monte carlo", "quadrature", "closed form", "exact")


@dataclass(frozen=True)
class ConcatenationSampler:
    """Picklable sampler: part ``i`` draws with its own sampler from the ``i``-th child of
    ``rng.spawn(len(parts))``; blocks are stacked column-wise in part order."""

    parts: tuple[Task, ...]

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        children = rng.spawn(len(self.parts))
        xs, ys = [], []
        for part, child in zip(self.parts, children, strict=True):
            x, y = part.sampler(n, child)
            xs.append(np.asarray(x, dtype=np.float64).reshape(n, part.dim_x))
            ys.append(np.asarray(y, dtype=np.float64).reshape(n, part.dim_y))
        return np.hstack(xs), np.hstack(ys)


def concatenate(*tasks: Task) -> Task:
    """The independent concatenation of two or more tasks (nested concatenations are flattened); MI adds.

    Raises:
        ValueError: fewer than two parts, a non-Task argument, or a part id containing ``+``.
    """
    parts: list[Task] = []
    for task in tasks:
        if not isinstance(task, Task):
            raise ValueError(f"tasks must be mibench Task objects, got {type(task).__name__}")
        parts.extend(task.sampler.parts if isinstance(task.sampler, ConcatenationSampler) else (task,))
    if len(parts) < 2:
        raise ValueError(f"tasks: give at least two tasks to concatenate, got {len(parts)}")
    for part in parts:
        if SEPARATOR in part.id:
            raise ValueError(f"task ids to concatenate must not contain {SEPARATOR!r}, got {part.id!r}")
    return Task(
        id=PREFIX + SEPARATOR.join(p.id for p in parts),
        family=FAMILY,
        dim_x=sum(p.dim_x for p in parts),
        dim_y=sum(p.dim_y for p in parts),
        mi=math.fsum(p.mi for p in parts),
        sampler=ConcatenationSampler(tuple(parts)),
        mi_stderr=math.sqrt(math.fsum(p.mi_stderr**2 for p in parts)),
        truth=min((p.truth for p in parts), key=_TRUTH_ORDER.index),
        params={
            "parts": [{"id": p.id, "version": p.version, "dim_x": p.dim_x, "dim_y": p.dim_y, "mi": p.mi} for p in parts]
        },
        version=f"{VERSION}:" + SEPARATOR.join(p.version for p in parts),
        description="independent concatenation of " + ", ".join(p.id for p in parts),
        discrete=any(p.discrete for p in parts),
    )


def from_id(task_id: str, resolve: Callable[[str], Task]) -> Task | None:
    """Rebuild ``concat-{id_1}+{id_2}+...`` by resolving each part id with ``resolve`` (e.g. the registry's
    ``get_task``, whose errors about an unknown part propagate); ``None`` if the id is not of this form."""
    if not task_id.startswith(PREFIX):
        return None
    part_ids = task_id[len(PREFIX) :].split(SEPARATOR)
    if len(part_ids) < 2 or not all(part_ids):
        return None
    task = concatenate(*(resolve(part_id) for part_id in part_ids))
    return task if task.id == task_id else None


def catalogue_tasks() -> Iterator[Task]:
    """A few heterogeneous combinations (all closed form)."""
    # Two Gaussian blocks of different dimension and strength: 0.5 + 1 nats.
    yield concatenate(gaussian_pairs(1, 1, mi=0.5), gaussian_pairs(3, 3, mi=1.0))
    # A band-supported 1-D block beside bmi's bivariate normal: 1.709438 + 0.413339 nats.
    yield concatenate(additive_uniform(0.1), gaussian_pairs(1, 1, rho=0.75))
    # Cauchy-like heavy tails beside a Gaussian block: 0.431946 + 1 nats.
    yield concatenate(student_t(2, 2, nu=1), gaussian_pairs(2, 2, mi=1.0))
