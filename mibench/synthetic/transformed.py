"""Tasks built from a base task and MI-preserving maps of x and of y: a base sampler composed with injective maps
applied to x or to y alone keeps the base MI by construction.

``transform_task(base, x=..., y=...)`` returns a new :class:`~mibench.interface.Task` whose sampler draws from
the base sampler and pushes ``x`` and ``y`` through the given injective maps (:mod:`mibench.synthetic.transforms`).
Because ``I(f(X); g(Y)) = I(X; Y)`` for injective ``f`` and ``g`` (Cover & Thomas, theorem 2.8.1 both ways;
Kraskov et al. 2004), the new task keeps the base truth, its standard error and its kind; only the marginals
(and possibly the dimensions) change. This is how bmi builds most of its benchmark (Czyz et al., "Beyond Normal:
On the Evaluation of Mutual Information Estimators", NeurIPS 2023), and the ids follow bmi's readable scheme.

Ids. Maps are listed outermost (applied last) first, each by its :meth:`~mibench.synthetic.transforms.Transform.label`:

- the same maps on both sides: ``{map}-{base id}``, e.g. ``normal_cdf-gaussian-pairs-1x1-rho0.75`` and, for a
  composition, ``spiral-normal_cdf-gaussian-pairs-5x5-mi1``;
- x only: ``{map}_x-{base id}``; y only: ``{map}_y-{base id}``;
- different maps on the two sides: ``{map x}_x-{map y}_y-{base id}``, e.g.
  ``asinh_x-half_cube_y-gaussian-pairs-2x2-mi1``.

In general, the maps that both sides share at the *start* (innermost) of their lists are written once,
unsuffixed, after the side-specific ones: bmi's ``swissroll_x-normal_cdf-1v1-normal-0.75`` is
``normal_cdf`` on both sides followed by ``swissroll`` on x. Transforming an already transformed task composes
with its maps (the base is always the untransformed task), so a task has one id however it was built, and
:func:`from_id` rebuilds any transformed task from its id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mibench.interface import Task
from mibench.synthetic.transforms import (
    LABEL_PATTERN,
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
    parse_label,
)

__all__ = [
    "FAMILY",
    "TransformedSampler",
    "from_id",
    "standard_transforms",
    "transform_task",
    "transformed_id",
]

FAMILY = "transformed"
#: Version of the composition machinery (part of every transformed task's version).
VERSION = "1"

Maps = Transform | Sequence[Transform] | None


@dataclass(frozen=True)
class TransformedSampler:
    """Picklable sampler: draw ``(x, y)`` from ``base_sampler``, then apply ``x_maps`` to x and ``y_maps`` to y,
    each list in order (first element innermost). No extra random numbers are drawn, so the sample equals the
    maps applied to the base sample of the same generator state, bit for bit."""

    base_sampler: Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]
    x_maps: tuple[Transform, ...] = ()
    y_maps: tuple[Transform, ...] = ()

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.base_sampler(n, rng)
        x = np.asarray(x, dtype=np.float64).reshape(n, -1)
        y = np.asarray(y, dtype=np.float64).reshape(n, -1)
        for f in self.x_maps:
            x = f(x)
        for g in self.y_maps:
            y = g(y)
        return x, y


def _as_maps(maps: Maps, side: str) -> list[Transform]:
    if maps is None:
        return []
    if isinstance(maps, Transform):
        items = [maps]
    elif isinstance(maps, Sequence) and not isinstance(maps, str):
        items = list(maps)
    else:
        raise TypeError(f"{side}: expected a Transform or a sequence of Transforms, got {type(maps).__name__}")
    for item in items:
        if not isinstance(item, Transform):
            raise TypeError(
                f"{side}: expected a Transform or a sequence of Transforms, got {type(item).__name__} {item!r}"
            )
    return [item.for_side(side) for item in items]


def transformed_id(base_id: str, x_labels: Sequence[str], y_labels: Sequence[str]) -> str:
    """The id of ``base_id`` with maps labelled ``x_labels`` / ``y_labels`` (each innermost first).

    The longest common *innermost* run of labels is written once, unsuffixed, after the side-specific maps;
    the remaining maps are written outermost first, x maps suffixed ``_x`` before y maps suffixed ``_y``.
    """
    common = 0
    while common < min(len(x_labels), len(y_labels)) and x_labels[common] == y_labels[common]:
        common += 1
    tokens = [f"{label}_x" for label in reversed(x_labels[common:])]
    tokens += [f"{label}_y" for label in reversed(y_labels[common:])]
    tokens += list(reversed(x_labels[:common]))
    return "-".join([*tokens, base_id])


def _base_of(task: Task) -> tuple[Task, list[Transform], list[Transform]]:
    """The untransformed base task and the maps already applied (empty for an untransformed task)."""
    sampler = task.sampler
    if task.family == FAMILY and isinstance(sampler, TransformedSampler):
        params = task.params
        base = task.with_sampler(
            sampler.base_sampler,
            id=params["base"],
            family=params["base_family"],
            dim_x=params["base_dim_x"],
            dim_y=params["base_dim_y"],
            params=params["base_params"],
            version=params["base_version"],
            description=params["base_description"],
        )
        return base, list(sampler.x_maps), list(sampler.y_maps)
    return task, [], []


def _check_dims(maps: Sequence[Transform], dim: int, side: str, task_id: str) -> int:
    for f in maps:
        try:
            dim = f.out_dim(dim)
        except ValueError as exc:
            raise ValueError(
                f"cannot apply transform {f.label(side)!r} to {side} (dimension {dim}) of task {task_id!r}: {exc}"
            ) from exc
    return dim


def transform_task(task: Task, *, x: Maps = None, y: Maps = None) -> Task:
    """A new task: ``task`` with the maps ``x`` applied to its x and ``y`` to its y.

    Args:
        task: the base task (may itself be transformed; the maps then compose with the existing ones).
        x, y: a :class:`~mibench.synthetic.transforms.Transform` or a sequence of them, applied in order (the
            first innermost); side-aware maps (``Wiggly()``, ``Bimodal()``, ``Spiral()``) take the variant of
            their side. At least one map in all.

    Returns:
        A task with family ``"transformed"``, the base's ``mi``, ``mi_stderr``, ``truth`` and ``discrete``,
        dimensions updated by each map's ``out_dim``, the id of :func:`transformed_id`, version
        ``"{base version}+{composition version}.{map versions...}"``, and params naming the base and the maps.

    Raises:
        ValueError: no map given, or a map does not apply to the dimension it meets (the message names the
            map, the side and the dimension).
        TypeError: something other than a Transform was passed.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task must be a mibench Task, got {type(task).__name__}")
    new_x, new_y = _as_maps(x, "x"), _as_maps(y, "y")
    if not new_x and not new_y:
        raise ValueError(f"transform_task({task.id!r}): give at least one transform for x or y")
    dim_x = _check_dims(new_x, task.dim_x, "x", task.id)
    dim_y = _check_dims(new_y, task.dim_y, "y", task.id)

    base, old_x, old_y = _base_of(task)
    x_maps, y_maps = (*old_x, *new_x), (*old_y, *new_y)
    x_labels = [f.label("x") for f in x_maps]
    y_labels = [f.label("y") for f in y_maps]
    task_id = transformed_id(base.id, x_labels, y_labels)
    version = f"{base.version}+" + ".".join([VERSION, *(f.version for f in (*x_maps, *y_maps))])
    params: dict[str, Any] = {
        "base": base.id,
        "base_family": base.family,
        "base_version": base.version,
        "base_dim_x": base.dim_x,
        "base_dim_y": base.dim_y,
        "base_params": dict(base.params),
        "base_description": base.description,
        "x_transforms": x_labels,
        "y_transforms": y_labels,
        "x_transform_specs": [f.spec() for f in x_maps],
        "y_transform_specs": [f.spec() for f in y_maps],
    }
    sides = []
    if x_labels:
        sides.append("x: " + " then ".join(x_labels))
    if y_labels:
        sides.append("y: " + " then ".join(y_labels))
    description = f"{base.id} with {'; '.join(sides)} (MI-preserving)"
    return base.with_sampler(
        TransformedSampler(base.sampler, tuple(x_maps), tuple(y_maps)),
        id=task_id,
        family=FAMILY,
        dim_x=int(dim_x),
        dim_y=int(dim_y),
        params=params,
        version=version,
        description=description,
    )


def standard_transforms() -> dict[str, Transform]:
    """One instance of each map, by name, with bmi's parameters (side-aware ones take each side's variant).

    ``normal_cdf``, ``half_cube``, ``asinh``, ``wiggly``, ``bimodal``, ``spiral``, ``swissroll`` (1-D x only,
    after ``normal_cdf``), ``rotation-s0``, ``affine-s0``, ``power0.5``.
    """
    maps: list[Transform] = [
        NormalCDF(),
        HalfCube(),
        Asinh(),
        Wiggly(),
        Bimodal(),
        Spiral(),
        SwissRoll(),
        Rotation(seed=0),
        Affine(seed=0),
        SignedPower(0.5),
    ]
    return {f.name: f for f in maps}


_TOKEN = re.compile(rf"(?P<label>{LABEL_PATTERN})(?:_(?P<side>[xy]))?-")


def from_id(task_id: str, resolve_base: Callable[[str], Task | None]) -> Task | None:
    """Rebuild a transformed task from its id; ``None`` if the id is not of this form.

    Args:
        task_id: an id made by :func:`transform_task`.
        resolve_base: maps the base id to its task (e.g. the registry's ``get_task``, or a family's ``from_id``);
            returning ``None`` or raising ``LookupError`` or ``ValueError`` (e.g. mibench's ``UnknownNameError``)
            means "unknown base"; the base id is shorter, so passing the registry's ``get_task`` terminates.

    Only canonical ids are accepted: the rebuilt task's id must equal ``task_id``.
    """
    pos = 0
    common: list[str] = []
    side_labels: dict[str, list[str]] = {"x": [], "y": []}
    while match := _TOKEN.match(task_id, pos):
        label, side = match["label"], match["side"]
        if side is None:
            common.append(label)
        else:
            side_labels[side].append(label)
        pos = match.end()
    if pos == 0 or pos >= len(task_id):
        return None
    try:
        base = resolve_base(task_id[pos:])
    except (LookupError, ValueError):  # mibench's UnknownNameError is a ValueError
        return None
    if base is None:
        return None
    maps: dict[str, list[Transform]] = {}
    for side in ("x", "y"):
        labels = [*reversed(common), *reversed(side_labels[side])]  # innermost first
        parsed = [parse_label(label, side) for label in labels]
        if any(f is None for f in parsed):
            return None
        maps[side] = [f for f in parsed if f is not None]
    try:
        task = transform_task(base, x=maps["x"], y=maps["y"])
    except ValueError:
        return None
    return task if task.id == task_id else None
