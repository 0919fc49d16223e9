r"""Images rendered injectively from a few latents: high ambient dimension, low intrinsic dimension, exact MI.

The image tasks of Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks via Lossy Compression"
(ICLR 2024): a latent vector ``u`` with coordinates in ``(0, 1)`` is drawn into a ``W x W`` greyscale image by a
fixed map that is injective, so the image carries exactly the information of its latents. Two renderers, each a
:class:`~mibench.synthetic.transforms.Transform` (applied to one variable alone, with an explicit inverse):

- :class:`Bumps` (2 latents ``c = (c_0, c_1)``): one Gaussian bump centred at ``c``,
  ``pixel(a, b) = exp(-10 |p_ab - c|^2)`` with ``p_ab = (g_a, g_b)``, ``g = linspace(0, 1, W)``; ``W^2`` pixels.
- :class:`Rectangles` (4 latents ``u_0..u_3``): one axis-aligned rectangle ``[x_0, x_1] x [y_0, y_1]`` in the unit
  square with every side at least ``m = 2 / W`` (two pixels),

  .. math::

      x_0 = (1 - m)(1 - \sqrt{1 - u_0}), \qquad x_1 = u_1 (1 - x_0 - m) + x_0 + m

  and the same for ``y_0, y_1`` from ``u_2, u_3``; each pixel holds the fraction of its area inside the rectangle
  (rows follow the first coordinate, columns the second; row-major flattening).

Why MI is exact. For injective measurable ``f`` and ``g``, ``I(f(X); g(Y)) = I(X; Y)`` (the data-processing
inequality applied to the map and to its inverse; Cover & Thomas, theorem 2.8.1). MI is the Kullback-Leibler
divergence between the joint law and the product of the marginals, which needs no density: the images live on a
2- or 4-dimensional surface inside ``R^{W^2}`` and have no density there, yet their MI is the latents' MI exactly.
That is the point of these tasks: an estimator working in the ambient dimension (KSG in 1024 + 1024 dimensions)
faces a problem whose intrinsic dimension is 2 or 4, and a method that first compresses the images (PCA, an
autoencoder) can in principle recover it without loss.

Why each map is injective (each :meth:`~mibench.synthetic.transforms.Transform.inverse` is the proof made
numerical, and the tests recover latents from rendered images with it):

- Bumps: ``log pixel(a, b) + 10 (g_a^2 + g_b^2) = 20 c_0 g_a + 20 c_1 g_b - 10 |c|^2``, an affine function of the
  pixel position whose slopes are ``20 c``; so any image determines ``c`` (here by least squares over all pixels,
  which is exact for exact images). Injective on all of ``R^2``; pixels are at least ``exp(-20) = 2e-9`` for
  ``c`` in ``[0, 1]^2``, far from underflow.
- Rectangles: ``u_0 -> x_0`` is strictly increasing on ``[0, 1]`` (derivative ``(1 - m) / (2 sqrt(1 - u_0)) >
  0``) and, for ``u_0 < 1``, ``u_1 -> x_1`` is affine with slope ``1 - x_0 - m > 0``; so ``u`` determines the
  rectangle and back. The image is the outer product ``p q^T`` of the row and column coverage profiles. A side of
  length at least two pixel widths always covers one pixel completely, so the largest pixel ``(a*, b*)`` has
  ``p_{a*} = q_{b*} = 1``, column ``b*`` of the image is ``p`` and row ``a*`` is ``q``; the uncovered fractions
  left of ``a*`` add up to ``W x_0`` and those right of it to ``W (1 - x_1)``: ``x_0 = sum_{a < a*} (1 - p_a) / W``,
  ``x_1 = 1 - sum_{a > a*} (1 - p_a) / W``, the same for ``y`` with ``q``. Injective on ``[0, 1) x [0, 1] x [0, 1)
  x [0, 1]``, which contains ``(0, 1)^4``.

Cost: rendering is separable (an outer product of two ``(n, W)`` profiles), ``O(n W^2)`` time and the output's
``8 n W^2`` bytes: 41 MB per variable at ``n = 5000``, ``W = 32`` (reports/highdim_tasks.md has measured figures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mibench.synthetic.transforms import Transform
from mibench.validation import check_int

__all__ = ["BUMP_SHARPNESS", "RECTANGLE_MIN_SIDE_PX", "Bumps", "Rectangles", "rectangle_corners"]

#: The 10 in ``exp(-10 |p - c|^2)`` (Butakov et al. 2024).
BUMP_SHARPNESS = 10.0
#: The smallest side of a rendered rectangle, in pixels (``m = 2 / W`` in unit coordinates; Butakov et al. 2024).
RECTANGLE_MIN_SIDE_PX = 2


def _image_width(n_pixels: int, what: str) -> int:
    width = math.isqrt(n_pixels)
    if width * width != n_pixels:
        raise ValueError(f"{what}: expected W*W pixel columns, got {n_pixels}")
    return width


@dataclass(frozen=True)
class Bumps(Transform):
    """Two latents ``c`` in ``[0, 1]^2`` -> a ``W x W`` image of one Gaussian bump: ``exp(-10 |p - c|^2)`` at the
    grid points ``p`` of ``linspace(0, 1, W)^2``, flattened row-major (row ``a`` at ``g_a``, the first latent).

    Computed as the outer product ``exp(-10 (g_a - c_0)^2) exp(-10 (g_b - c_1)^2)`` (equal in exact arithmetic).
    The inverse fits ``c`` by least squares to the log-image (exact, see the module docstring).
    """

    width: int = 16
    version: ClassVar[str] = "1"

    def __post_init__(self) -> None:
        check_int("Bumps: width", self.width, 2)
        object.__setattr__(self, "width", int(self.width))

    @property
    def name(self) -> str:
        return f"bumps{self.width}"

    def grid(self) -> np.ndarray:
        """The pixel coordinates along one axis, ``linspace(0, 1, W)``."""
        return np.linspace(0.0, 1.0, self.width)

    def check_dim(self, in_dim: int) -> None:
        check_int(f"transform {self.name!r}: input dimension", in_dim)
        if in_dim != 2:
            raise ValueError(f"transform {self.name!r} draws a bump from 2 latents (its centre), got {in_dim}")

    def out_dim(self, in_dim: int) -> int:
        self.check_dim(in_dim)
        return self.width * self.width

    def _apply(self, a: np.ndarray) -> np.ndarray:
        g = self.grid()
        rows = np.exp(-BUMP_SHARPNESS * (g[None, :] - a[:, 0:1]) ** 2)
        cols = np.exp(-BUMP_SHARPNESS * (g[None, :] - a[:, 1:2]) ** 2)
        return (rows[:, :, None] * cols[:, None, :]).reshape(a.shape[0], -1)

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        width = _image_width(b.shape[1], f"inverse of transform {self.name!r}")
        if width != self.width:
            raise ValueError(f"inverse of transform {self.name!r}: got {width}x{width} images")
        g = self.grid()
        log_image = np.log(b).reshape(b.shape[0], width, width)
        # Averaging log pixel + 10 |p|^2 over columns leaves 20 c_0 g_a + const; regress it on g_a.
        centred = g - g.mean()
        denominator = 2.0 * BUMP_SHARPNESS * np.dot(centred, centred)
        c0 = (log_image.mean(axis=2) + BUMP_SHARPNESS * g**2) @ centred / denominator
        c1 = (log_image.mean(axis=1) + BUMP_SHARPNESS * g**2) @ centred / denominator
        return np.column_stack([c0, c1])


def rectangle_corners(u: np.ndarray, width: int) -> np.ndarray:
    """``(n, 4)`` latents in ``[0, 1]`` -> ``(n, 4)`` corners ``(x_0, x_1, y_0, y_1)`` in unit coordinates, every side
    at least ``m = 2 / width``: ``x_0 = (1 - m)(1 - sqrt(1 - u_0))``, ``x_1 = u_1 (1 - x_0 - m) + x_0 + m``, the same
    for ``y`` from ``u_2, u_3`` (Butakov et al. 2024)."""
    m = RECTANGLE_MIN_SIDE_PX / width
    out = np.empty_like(u)
    for lo, (i, j) in zip((0, 2), ((0, 1), (2, 3)), strict=True):
        start = (1.0 - m) * (1.0 - np.sqrt(1.0 - u[:, i]))
        out[:, lo] = start
        out[:, lo + 1] = u[:, j] * (1.0 - start - m) + start + m
    return out


def _latents_from_corners(corners: np.ndarray, width: int) -> np.ndarray:
    """The inverse of :func:`rectangle_corners` (for ``u_0, u_2 < 1``)."""
    m = RECTANGLE_MIN_SIDE_PX / width
    out = np.empty_like(corners)
    for lo, (i, j) in zip((0, 2), ((0, 1), (2, 3)), strict=True):
        start, stop = corners[:, lo], corners[:, lo + 1]
        out[:, i] = 1.0 - (1.0 - start / (1.0 - m)) ** 2
        out[:, j] = (stop - start - m) / (1.0 - start - m)
    return out


def _coverage(start: np.ndarray, stop: np.ndarray, width: int) -> np.ndarray:
    """``(n, W)``: the fraction of each pixel interval ``[a / W, (a + 1) / W]`` inside ``[start, stop]``."""
    edges = np.arange(width + 1) / width
    overlap = np.minimum(stop[:, None], edges[None, 1:]) - np.maximum(start[:, None], edges[None, :-1])
    return np.clip(overlap * width, 0.0, 1.0)


def _interval_from_coverage(profile: np.ndarray, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(start, stop)`` from a coverage profile ``(n, W)`` and the index of a fully covered pixel in each row: the
    uncovered fractions before ``full`` add up to ``W start``, those after it to ``W (1 - stop)``."""
    width = profile.shape[1]
    index = np.arange(width)[None, :]
    uncovered = 1.0 - profile
    before = np.where(index < full[:, None], uncovered, 0.0).sum(axis=1)
    after = np.where(index > full[:, None], uncovered, 0.0).sum(axis=1)
    return before / width, 1.0 - after / width


@dataclass(frozen=True)
class Rectangles(Transform):
    """Four latents in ``[0, 1]`` -> a ``W x W`` image of one axis-aligned rectangle (sides at least 2 pixels), each
    pixel weighted by the fraction of its area inside the rectangle; flattened row-major, rows along the first
    coordinate (``x_0, x_1`` from ``u_0, u_1``), columns along the second (``y_0, y_1`` from ``u_2, u_3``).

    The inverse reads the coverage profiles off the row and column through the brightest pixel and sums the
    uncovered fractions (exact, see the module docstring).
    """

    width: int = 32
    version: ClassVar[str] = "1"

    def __post_init__(self) -> None:
        check_int("Rectangles: width", self.width, 2 * RECTANGLE_MIN_SIDE_PX)
        object.__setattr__(self, "width", int(self.width))

    @property
    def name(self) -> str:
        return f"rectangles{self.width}"

    def check_dim(self, in_dim: int) -> None:
        check_int(f"transform {self.name!r}: input dimension", in_dim)
        if in_dim != 4:
            raise ValueError(f"transform {self.name!r} draws a rectangle from 4 latents, got {in_dim}")

    def out_dim(self, in_dim: int) -> int:
        self.check_dim(in_dim)
        return self.width * self.width

    def corners(self, u: np.ndarray) -> np.ndarray:
        """The rectangles ``(x_0, x_1, y_0, y_1)`` of latents ``u`` (see :func:`rectangle_corners`)."""
        return rectangle_corners(np.asarray(u, dtype=np.float64).reshape(-1, 4), self.width)

    def _apply(self, a: np.ndarray) -> np.ndarray:
        if np.any((a < 0.0) | (a > 1.0)):
            raise ValueError(f"transform {self.name!r}: latents must lie in [0, 1]")
        corners = self.corners(a)
        rows = _coverage(corners[:, 0], corners[:, 1], self.width)
        cols = _coverage(corners[:, 2], corners[:, 3], self.width)
        return (rows[:, :, None] * cols[:, None, :]).reshape(a.shape[0], -1)

    def corners_from_images(self, b: np.ndarray) -> np.ndarray:
        """``(n, 4)`` corners ``(x_0, x_1, y_0, y_1)`` read back from rendered images ``(n, W*W)``."""
        b = np.asarray(b, dtype=np.float64)
        width = _image_width(b.shape[1], f"inverse of transform {self.name!r}")
        if width != self.width:
            raise ValueError(f"inverse of transform {self.name!r}: got {width}x{width} images")
        images = b.reshape(b.shape[0], width, width)
        brightest = np.argmax(b, axis=1)
        full_row, full_col = np.divmod(brightest, width)
        rows_profile = images[np.arange(b.shape[0]), :, full_col]  # p: column full_col
        cols_profile = images[np.arange(b.shape[0]), full_row, :]  # q: row full_row
        x0, x1 = _interval_from_coverage(rows_profile, full_row)
        y0, y1 = _interval_from_coverage(cols_profile, full_col)
        return np.column_stack([x0, x1, y0, y1])

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return _latents_from_corners(self.corners_from_images(b), self.width)
