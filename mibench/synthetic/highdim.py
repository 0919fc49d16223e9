r"""High-dimensional tasks with low intrinsic dimension and exact truth: rendered images and embedded vectors.

Each task draws latent Gaussian pairs with a target MI ``I`` (nats) split over ``m`` independent pairs,

.. math::

    \rho = \sqrt{1 - e^{-2I/m}}, \qquad I(X; Y) = -\tfrac{m}{2} \log(1 - \rho^2) = I

(:func:`~mibench.synthetic.gaussian.gaussian_pairs`: ``m`` pairs, ``I / m`` nats each), and maps each side's
latents separately through a fixed injective map into a high-dimensional space, so the task's MI is ``I`` exactly
(``I(f(X); g(Y)) = I(X; Y)`` for injective ``f``, ``g``; truth ``"closed form"``). This is the construction of
Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks via Lossy Compression" (ICLR 2024), who
use it to test compression followed by k-NN estimation. Families (ids parse back into tasks; ``{I}`` is the
shortest decimal, e.g. ``mi2.5``, ``mi10``):

- ``bumps`` -- ``bumps-{W}-mi{I}``: ``m = 2`` pairs; each side's two latents go through the normal CDF into
  ``(0, 1)`` and become the centre of one Gaussian bump on a ``W x W`` image (:class:`~mibench.synthetic.images.Bumps`);
  ``dim_x = dim_y = W^2``. Catalogue: ``W = 16`` and ``32``.
- ``rectangles`` -- ``rectangles-{W}-mi{I}``: ``m = 4`` pairs; each side's four latents (normal CDF) become a
  rectangle with sides of at least 2 pixels, pixels weighted by covered area
  (:class:`~mibench.synthetic.images.Rectangles`). Catalogue: ``W = 16`` and ``32``.
- ``embedded`` -- ``embedded-k{k}-d{D}-mi{I}``: ``m = k`` pairs; each side's Gaussian latent ``z`` in ``R^k``
  becomes ``Q [z; tanh(W z + c)]`` in ``R^D`` (:class:`~mibench.synthetic.embeddings.Embedding`, seed 0 on x, 1 on
  y). Catalogue: ``k = 5``, ``D = 128`` and ``1000`` (128 rather than 100: not a perfect square, so a tool that takes
  square dimensions for images, as the ``compressed`` estimator's automatic rule does, sees a vector).
- ``embedded-linear`` -- ``embedded-linear-k{k}-d{D}-mi{I}``: the same with ``x = Q[:, :k] z`` (a ``k``-dimensional
  subspace). Catalogue: ``k = 5``, ``D = 128`` and ``1000``.

The catalogue holds each of these at MI in :data:`MI_LEVELS` (0 to 10 nats). Any width, ``k`` (1 to 10) and ``D``
can be built from its id. Why each map is injective is proved in its module and checked by the tests, which recover
the latents from the rendered sample.

The latent task. :func:`latent_task` gives, for each of these tasks, the task that draws the same latents without
rendering them: ``normal_cdf-gaussian-pairs-2x2-mi{I}`` for bumps (``4x4`` for rectangles) and
``gaussian-pairs-{k}x{k}-mi{I}`` for the embedded families (the id is also in ``params["latent_task"]``). For the
same seed its sample is exactly the latents the high-dimensional task rendered (:func:`render_maps` maps one to
the other, bit for bit), so an estimator's error on the latent task, sample by sample, is what the same estimator
could do if it found the latents: the reference for compression-based estimators.

Size. Samples are float64: ``8 n (dim_x + dim_y)`` bytes, 82 MB for a 32 x 32 pair at ``n = 5000`` (164 MB at
``n = 10 000``). The ``highdim`` suite runs these tasks at ``n = 5000``; ``standard`` runs only
:data:`STANDARD_SLICE`. reports/highdim_tasks.md has the measured sampling time and memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mibench.interface import Task
from mibench.synthetic import transformed
from mibench.synthetic.embeddings import Embedding
from mibench.synthetic.gaussian import gaussian_pairs
from mibench.synthetic.images import Bumps, Rectangles
from mibench.synthetic.naming import format_number
from mibench.synthetic.transforms import NormalCDF, Transform
from mibench.validation import check_int, check_real

__all__ = [
    "CATALOGUE_EMBEDDINGS",
    "CATALOGUE_WIDTHS",
    "EMBEDDING_SEEDS",
    "FAMILIES",
    "MAX_LATENT_DIM",
    "MI_LEVELS",
    "STANDARD_SLICE",
    "bumps_task",
    "catalogue_tasks",
    "embedded_task",
    "from_id",
    "is_highdim",
    "latent_task",
    "recover_latents",
    "rectangles_task",
    "render_maps",
]

#: Version of this construction (part of every task's version, before the composed maps' versions).
VERSION = "1"
BUMPS, RECTANGLES, EMBEDDED, EMBEDDED_LINEAR = "bumps", "rectangles", "embedded", "embedded-linear"
#: The families of this module (``standard`` includes only :data:`STANDARD_SLICE` of them).
FAMILIES = (BUMPS, RECTANGLES, EMBEDDED, EMBEDDED_LINEAR)
#: The catalogue's MI levels in nats.
MI_LEVELS = (0.0, 1.0, 2.5, 5.0, 7.5, 10.0)
#: The catalogue's image widths per image family.
CATALOGUE_WIDTHS = {BUMPS: (16, 32), RECTANGLES: (16, 32)}
#: The catalogue's ``(k, D)`` per embedded family.
CATALOGUE_EMBEDDINGS = {EMBEDDED: ((5, 128), (5, 1000)), EMBEDDED_LINEAR: ((5, 128), (5, 1000))}
#: Seeds of the fixed embeddings of x and of y.
EMBEDDING_SEEDS = (0, 1)
#: The largest latent dimension per side of the embedded families.
MAX_LATENT_DIM = 10
#: Latent pairs per image family.
_IMAGE_LATENTS = {BUMPS: 2, RECTANGLES: 4}

#: The tasks ``standard`` runs from these families: one per family, the smaller shape, at 2.5 nats. ``standard``
#: runs them at every one of its sample sizes (up to n = 10 000, 5 seeds), where KSG's cost grows as n^2 times the
#: dimension: these four add about 18 CPU-minutes (about 9 minutes with two workers), the 32 x 32 images or D = 1000
#: would add about 21 CPU-minutes each. The ``highdim`` suite runs the whole catalogue set at n = 5000.
STANDARD_SLICE = (
    "bumps-16-mi2.5",
    "rectangles-16-mi2.5",
    "embedded-k5-d128-mi2.5",
    "embedded-linear-k5-d128-mi2.5",
)

_NUMBER = r"(?P<mi>[0-9][0-9.e+-]*)"
_ID_PATTERNS = {
    BUMPS: re.compile(rf"^bumps-(?P<width>\d+)-mi{_NUMBER}$"),
    RECTANGLES: re.compile(rf"^rectangles-(?P<width>\d+)-mi{_NUMBER}$"),
    EMBEDDED: re.compile(rf"^embedded-k(?P<k>\d+)-d(?P<dim>\d+)-mi{_NUMBER}$"),
    EMBEDDED_LINEAR: re.compile(rf"^embedded-linear-k(?P<k>\d+)-d(?P<dim>\d+)-mi{_NUMBER}$"),
}


@dataclass(frozen=True)
class _Construction:
    """What defines a task of these families: the family, its shape (image width, or ``k`` and ``D``) and ``I``."""

    family: str
    mi: float
    width: int = 0
    latent_dim: int = 0
    dim: int = 0

    def task_id(self) -> str:
        mi = format_number(self.mi)
        if self.family in _IMAGE_LATENTS:
            return f"{self.family}-{self.width}-mi{mi}"
        return f"{self.family}-k{self.latent_dim}-d{self.dim}-mi{mi}"

    def pairs(self) -> int:
        return _IMAGE_LATENTS.get(self.family, self.latent_dim)

    def latent(self) -> Task:
        """The unrendered task: Gaussian pairs, through the normal CDF for the images."""
        m = self.pairs()
        base = gaussian_pairs(m, m, mi=self.mi)
        if self.family in _IMAGE_LATENTS:
            return transformed.transform_task(base, x=NormalCDF(), y=NormalCDF())
        return base

    def maps(self) -> tuple[Transform, Transform]:
        """The renderers of x and of y (applied to the latent task's sample)."""
        if self.family == BUMPS:
            return Bumps(self.width), Bumps(self.width)
        if self.family == RECTANGLES:
            return Rectangles(self.width), Rectangles(self.width)
        linear = self.family == EMBEDDED_LINEAR
        fx, fy = (Embedding(self.latent_dim, self.dim, seed, linear) for seed in EMBEDDING_SEEDS)
        return fx, fy

    def description(self) -> str:
        mi = format_number(self.mi)
        if self.family == BUMPS:
            what = f"one Gaussian bump per {self.width}x{self.width} image, centred at 2 latents"
        elif self.family == RECTANGLES:
            what = f"one rectangle per {self.width}x{self.width} image (area-weighted pixels), corners from 4 latents"
        elif self.family == EMBEDDED:
            what = f"Gaussian latent in R^{self.latent_dim} embedded smoothly in R^{self.dim} (Q [z; tanh(Wz+c)])"
        else:
            what = f"Gaussian latent in R^{self.latent_dim} embedded linearly in R^{self.dim} (orthonormal columns)"
        return f"{what}; {self.pairs()} latent pairs, I = {mi} nats"

    def task(self) -> Task:
        latent = self.latent()
        fx, fy = self.maps()
        composed = transformed.transform_task(latent, x=fx, y=fy)
        pairs = self.pairs()
        params: dict[str, object] = {
            "latent_task": latent.id,
            "n_pairs": pairs,
            "rho": float(np.sqrt(-np.expm1(-2.0 * self.mi / pairs))),
            "mi": float(self.mi),
            "x_render": fx.spec(),
            "y_render": fy.spec(),
        }
        if self.family in _IMAGE_LATENTS:
            params["width"] = self.width
        else:
            params.update(latent_dim=self.latent_dim, dim=self.dim)
        return composed.with_sampler(
            composed.sampler,
            id=self.task_id(),
            family=self.family,
            params=params,
            version=f"{VERSION}/{composed.version}",
            description=self.description(),
        )


def _check_mi(mi: float) -> float:
    check_real("mi", mi, 0.0)  # nats
    return float(mi)


def bumps_task(width: int, mi: float) -> Task:
    """``bumps-{width}-mi{mi}``: two ``width x width`` images of one Gaussian bump each, 2 latent pairs, MI ``mi``
    nats (see the module docstring)."""
    check_int("bumps: width", width, 2)
    return _Construction(BUMPS, _check_mi(mi), width=int(width)).task()


def rectangles_task(width: int, mi: float) -> Task:
    """``rectangles-{width}-mi{mi}``: two ``width x width`` images of one rectangle each (sides of at least 2
    pixels, area-weighted pixels), 4 latent pairs, MI ``mi`` nats."""
    check_int("rectangles: width", width, 4)
    return _Construction(RECTANGLES, _check_mi(mi), width=int(width)).task()


def embedded_task(latent_dim: int, dim: int, mi: float, *, linear: bool = False) -> Task:
    """``embedded[-linear]-k{latent_dim}-d{dim}-mi{mi}``: ``latent_dim`` Gaussian pairs (1 to
    :data:`MAX_LATENT_DIM`) with MI ``mi`` nats, each side embedded in ``R^dim`` (``dim >= latent_dim``) by its fixed
    smooth (or ``linear``) injective map."""
    check_int("embedded: latent_dim", latent_dim, 1, MAX_LATENT_DIM)
    check_int(f"embedded: dim (latent_dim = {latent_dim})", dim, int(latent_dim))
    family = EMBEDDED_LINEAR if linear else EMBEDDED
    return _Construction(family, _check_mi(mi), latent_dim=int(latent_dim), dim=int(dim)).task()


def is_highdim(task: Task) -> bool:
    """Whether ``task`` belongs to one of this module's families."""
    return task.family in FAMILIES


def _construction(task: Task | str) -> _Construction:
    task_id = task if isinstance(task, str) else task.id
    for family, pattern in _ID_PATTERNS.items():
        match = pattern.match(task_id)
        if match is None:
            continue
        try:
            mi = float(match["mi"])
        except ValueError:
            break
        if family in _IMAGE_LATENTS:
            return _Construction(family, mi, width=int(match["width"]))
        return _Construction(family, mi, latent_dim=int(match["k"]), dim=int(match["dim"]))
    raise ValueError(f"{task_id!r} is not a task of the families {', '.join(FAMILIES)}")


def latent_task(task: Task | str) -> Task:
    """The task drawing the same latents as ``task`` (a task of these families, or its id) without rendering them:
    for the same seed its sample is exactly the latents ``task`` renders (``render_maps`` maps one to the other).

    Raises:
        ValueError: ``task`` is not of these families.
    """
    return _construction(task).latent()


def render_maps(task: Task | str) -> tuple[Transform, Transform]:
    """The injective maps ``(f, g)`` with ``task.sample(n, s) == (f(u), g(v))`` for ``(u, v) =
    latent_task(task).sample(n, s)``; their ``inverse`` recovers the latents.

    Raises:
        ValueError: ``task`` is not of these families.
    """
    return _construction(task).maps()


def recover_latents(task: Task | str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The latents of a sample ``(x, y)`` of ``task``, computed back from the rendered values (the inverse maps)."""
    fx, fy = render_maps(task)
    return fx.inverse(x), fy.inverse(y)


def from_id(task_id: str) -> Task | None:
    """Rebuild a task of these families from its id (any width, ``k``, ``D`` and level); ``None`` if the id is not
    of their form, is out of range, or is not the canonical spelling (``mi2.50`` for ``mi2.5``)."""
    try:
        construction = _construction(task_id)
    except ValueError:
        return None
    try:
        if construction.family in _IMAGE_LATENTS:
            builder = bumps_task if construction.family == BUMPS else rectangles_task
            task = builder(construction.width, construction.mi)
        else:
            task = embedded_task(
                construction.latent_dim,
                construction.dim,
                construction.mi,
                linear=construction.family == EMBEDDED_LINEAR,
            )
    except ValueError:
        return None
    return task if task.id == task_id else None


def catalogue_tasks() -> Iterator[Task]:
    """The catalogue's members of these families: :data:`CATALOGUE_WIDTHS` and :data:`CATALOGUE_EMBEDDINGS` at every
    level of :data:`MI_LEVELS` (cheap to build: no matrix is drawn until a task samples)."""
    for family, widths in CATALOGUE_WIDTHS.items():
        builder = bumps_task if family == BUMPS else rectangles_task
        for width in widths:
            for mi in MI_LEVELS:
                yield builder(width, mi)
    for family, shapes in CATALOGUE_EMBEDDINGS.items():
        for latent_dim, dim in shapes:
            for mi in MI_LEVELS:
                yield embedded_task(latent_dim, dim, mi, linear=family == EMBEDDED_LINEAR)
