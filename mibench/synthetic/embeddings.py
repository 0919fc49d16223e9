r"""Low-dimensional latents embedded in a high-dimensional space by fixed, seeded, injective maps.

A latent ``z`` in ``R^k`` (``k`` small) becomes a point ``x`` in ``R^D`` (``D`` up to 1000 or more) on a
``k``-dimensional surface, so ``x`` has high ambient and low intrinsic dimension, like the rendered images of
:mod:`mibench.synthetic.images` (the setting of Butakov et al., ICLR 2024, where compressing to the intrinsic
dimension before a k-NN estimate is what makes estimation possible). Two maps, each a
:class:`~mibench.synthetic.transforms.Transform` of one variable with an explicit inverse:

- smooth (``linear=False``): :math:`x = Q\,[z;\ \varphi(z)]` with :math:`\varphi(z) = \tanh(W z + c) \in
  \mathbb{R}^{D-k}`, so the point lies on a curved ``k``-dimensional surface that spreads over every coordinate;
- linear (``linear=True``): :math:`x = Q_{:, 1..k}\, z`, a ``k``-dimensional subspace of ``R^D``.

``Q`` is a Haar-random orthogonal ``D x D`` matrix (QR of a Gaussian matrix with the signs of ``diag(R)`` moved into
``Q``; Mezzadri 2007), ``W`` has independent ``N(0, 4 / k)`` entries (each pre-activation ``w . z`` has standard
deviation 2 for a standard normal ``z``, so the tanh features bend within the bulk of the data) and ``c`` has
independent ``N(0, 1)`` entries, all drawn in that order from ``numpy.random.default_rng([seed, k, D])``.

Why the maps are injective (on all of ``R^k``): ``Q`` is orthogonal, so ``Q^T x = [z; phi(z)]`` and the first ``k``
coordinates of ``Q^T x`` are ``z`` itself (for the linear map ``Q_{:, 1..k}`` has orthonormal columns and
``Q_{:, 1..k}^T x = z``). :meth:`Embedding.inverse` computes exactly this, ``x Q_{:, 1..k}`` row by row, and the
tests recover ``z`` from ``x`` with it. Both maps are smooth (``phi`` is), and
``I(f(X); g(Y)) = I(X; Y)`` for injective ``f`` and ``g`` (Cover & Thomas, theorem 2.8.1, applied to the map and to
its inverse), so the embedded pair has its latents' MI exactly although it has no density in ``R^{2D}``.

Cost: ``Q`` is built once per process and (seed, k, D) (a ``D x D`` QR: about 0.2 s and 8 MB at ``D = 1000``); the
smooth map is one ``(n, D) x (D, D)`` product, ``2 n D^2`` flops (``10^{10}`` at ``n = 5000``, ``D = 1000``), the
linear one ``2 n k D``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np

from mibench.synthetic.transforms import Transform
from mibench.validation import check_int

__all__ = ["FEATURE_GAIN", "Embedding", "embedding_parts"]

#: Standard deviation of each pre-activation ``w . z`` of the smooth features for a standard normal ``z``.
FEATURE_GAIN = 2.0


@lru_cache(maxsize=8)
def embedding_parts(latent_dim: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Q, W, c)`` of the embeddings of ``R^latent_dim`` in ``R^dim`` with this seed: ``Q`` Haar orthogonal
    ``(dim, dim)``, ``W`` ``(dim - latent_dim, latent_dim)`` with ``N(0, FEATURE_GAIN^2 / latent_dim)`` entries, ``c``
    ``(dim - latent_dim,)`` with ``N(0, 1)`` entries, drawn in that order from ``default_rng([seed, latent_dim,
    dim])``. Read-only, cached per process."""
    check_int("embedding: latent dimension", latent_dim)
    check_int("embedding: dimension", dim, latent_dim)
    check_int("embedding: seed", seed, 0)
    rng = np.random.default_rng([seed, latent_dim, dim])
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    weights = rng.standard_normal((dim - latent_dim, latent_dim)) * (FEATURE_GAIN / np.sqrt(latent_dim))
    bias = rng.standard_normal(dim - latent_dim)
    for arr in (q, weights, bias):
        arr.setflags(write=False)
    return q, weights, bias


@dataclass(frozen=True)
class Embedding(Transform):
    """``z`` in ``R^k`` -> ``x`` in ``R^D``: ``Q [z; tanh(W z + c)]`` (smooth) or ``Q[:, :k] z`` (``linear``), with
    the fixed random ``Q``, ``W``, ``c`` of :func:`embedding_parts` for ``seed``. Inverse: ``z = x Q[:, :k]``.

    Attributes:
        latent_dim: ``k``, the input dimension.
        dim: ``D >= k``, the output dimension.
        seed: fixes ``Q``, ``W`` and ``c`` (an embedding never draws from the task's random stream).
        linear: the linear map (no tanh features).
    """

    latent_dim: int = 1
    dim: int = 2
    seed: int = 0
    linear: bool = False
    version: ClassVar[str] = "1"

    def __post_init__(self) -> None:
        check_int("Embedding: latent_dim", self.latent_dim)
        check_int("Embedding: dim", self.dim, self.latent_dim)
        check_int("Embedding: seed", self.seed, 0)
        if not isinstance(self.linear, bool):
            raise ValueError(f"Embedding: linear must be True or False, got {self.linear!r}")
        for name in ("latent_dim", "dim", "seed"):
            object.__setattr__(self, name, int(getattr(self, name)))

    @property
    def name(self) -> str:
        kind = "linear_embedding" if self.linear else "embedding"
        return f"{kind}-k{self.latent_dim}-d{self.dim}-s{self.seed}"

    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Q, W, c)`` of this embedding (see :func:`embedding_parts`)."""
        return embedding_parts(self.latent_dim, self.dim, self.seed)

    def check_dim(self, in_dim: int) -> None:
        check_int(f"transform {self.name!r}: input dimension", in_dim)
        if in_dim != self.latent_dim:
            raise ValueError(f"transform {self.name!r} embeds {self.latent_dim}-dimensional latents, got {in_dim}")

    def out_dim(self, in_dim: int) -> int:
        self.check_dim(in_dim)
        return self.dim

    def _apply(self, a: np.ndarray) -> np.ndarray:
        q, weights, bias = self.parts()
        k = self.latent_dim
        out = a @ q[:, :k].T
        if not self.linear and k < self.dim:
            out += np.tanh(a @ weights.T + bias) @ q[:, k:].T
        return out

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        if b.shape[1] != self.dim:
            raise ValueError(f"inverse of transform {self.name!r} needs {self.dim} columns, got {b.shape[1]}")
        q, _, _ = self.parts()
        return b @ q[:, : self.latent_dim]
