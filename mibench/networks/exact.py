"""Exact information of a deterministic discrete layer with ``X`` uniform on a finite data set.

Let the data set have ``n`` rows, ``X`` uniform on them, and ``T = f(X)`` a layer whose values are integer code
vectors (one row per input; :mod:`~mibench.networks.training` stores them). Then ``H(T | X) = 0`` and, with
``p(t) = #{i : t_i = t} / n`` over distinct *whole-layer* vectors ``t`` (Lorenzen, Igel & Nielsen, ICLR 2022)::

    I(X; T) = H(T) = -sum_t p(t) log p(t)
    I(T; Y) = H(T) - sum_y p(y) H(T | Y = y),    H(T | Y = y) = -sum_t p(t | y) log p(t | y)

Distinct rows are found by sorting (each row viewed as one opaque byte string, then ``np.unique``): ``O(n log n)``,
never pairwise comparisons. Values in nats (``unit="bits"`` divides by ``log 2``).

Bounds (tests): ``I(X; T) <= log n``; ``I(X; T) <= width * log(levels)`` for ``levels`` values per unit;
``I(T; Y) <= min(I(X; T), H(Y))``; an injective layer gives ``I(X; T) = log n`` (12 bits for the 12-bit set)
and ``I(T; Y) = H(Y)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mibench.units import nats_to_bits

if TYPE_CHECKING:
    from mibench.networks.training import TrainingRecord

__all__ = [
    "LayerInformation",
    "entropy_from_counts",
    "information_plane",
    "layer_information",
    "mutual_information_ty",
    "mutual_information_xt",
    "row_ids",
]

UNITS = ("nats", "bits")


def _scale(unit: str) -> float:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    return 1.0 if unit == "nats" else nats_to_bits(1.0)


def row_ids(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Label each row of ``codes`` (``(n, d)``, any integer or float dtype) by its distinct value.

    Returns ``(ids, k)``: ``ids[i]`` in ``0 .. k - 1``, equal iff rows ``i`` and ``j`` are equal, ``k`` the number of
    distinct rows. A 1-D array is one column. Float rows compare by bytes (``-0.0 != 0.0``; the quantizers never
    produce ``-0.0`` on grid points and the stored codes are integers).
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes.reshape(-1, 1)
    if codes.ndim != 2:
        raise ValueError(f"codes must be 1-D or 2-D (n, d), got shape {codes.shape}")
    if codes.shape[0] == 0:
        raise ValueError("codes has no rows")
    rows = np.ascontiguousarray(codes)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)
    _, ids = np.unique(keys, return_inverse=True)
    ids = ids.reshape(-1).astype(np.int64)
    return ids, int(ids.max()) + 1


def entropy_from_counts(counts: np.ndarray) -> float:
    """``-sum p log p`` (nats) of the distribution ``p = counts / counts.sum()`` (zero counts ignored)."""
    counts = np.asarray(counts, dtype=np.float64)
    counts = counts[counts > 0]
    total = counts.sum()
    if total <= 0:
        raise ValueError("counts must have a positive total")
    p = counts / total
    return max(float(-np.sum(p * np.log(p))), 0.0) + 0.0  # + 0.0 turns -0.0 into 0.0


def mutual_information_xt(codes: np.ndarray, *, unit: str = "nats") -> float:
    """``I(X; T) = H(T)`` over the distinct rows of ``codes`` (``X`` uniform on the rows)."""
    ids, _ = row_ids(codes)
    return entropy_from_counts(np.bincount(ids)) * _scale(unit)


def mutual_information_ty(codes: np.ndarray, labels: np.ndarray, *, unit: str = "nats") -> float:
    """``I(T; Y) = H(T) - sum_y p(y) H(T | Y = y)`` (``X`` uniform on the rows, ``Y`` the row's label)."""
    return layer_information(codes, labels, unit=unit).i_ty


@dataclass(frozen=True)
class LayerInformation:
    """Exact ``I(X; T)`` and ``I(T; Y)`` of one layer in ``unit``, and the number of distinct layer vectors."""

    i_xt: float
    i_ty: float
    n_distinct: int
    unit: str = "nats"


def layer_information(codes: np.ndarray, labels: np.ndarray, *, unit: str = "nats") -> LayerInformation:
    """Both exact quantities for one layer: ``codes`` ``(n, width)`` one row per input, ``labels`` ``(n,)``."""
    ids, k = row_ids(codes)
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != ids.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries but codes has {ids.shape[0]} rows")
    _, y = np.unique(labels, return_inverse=True)
    y = y.reshape(-1)
    n = ids.shape[0]
    h_t = entropy_from_counts(np.bincount(ids, minlength=k))
    h_t_given_y = 0.0
    for c in range(int(y.max()) + 1):
        members = ids[y == c]
        h_t_given_y += members.size / n * entropy_from_counts(np.bincount(members))
    s = _scale(unit)
    i_ty = min(max(h_t - h_t_given_y, 0.0), h_t) + 0.0  # clip rounding; + 0.0 turns -0.0 into 0.0
    return LayerInformation(i_xt=h_t * s, i_ty=i_ty * s, n_distinct=k, unit=unit)


def information_plane(record: TrainingRecord, *, unit: str = "nats") -> dict[str, np.ndarray]:
    """Exact information of every layer at every logged epoch of a training record.

    Returns ``{"epochs": (E,), "i_xt": (E, L), "i_ty": (E, L), "n_distinct": (E, L)}``; layer ``l`` (column
    ``l - 1``) is ``T_l``, the last column the softmax output.
    """
    n_epochs, n_layers = len(record.epochs), record.n_layers
    i_xt = np.empty((n_epochs, n_layers))
    i_ty = np.empty((n_epochs, n_layers))
    n_distinct = np.empty((n_epochs, n_layers), dtype=np.int64)
    for e in range(n_epochs):
        for layer in range(n_layers):
            info = layer_information(record.codes[layer][e], record.y, unit=unit)
            i_xt[e, layer], i_ty[e, layer], n_distinct[e, layer] = info.i_xt, info.i_ty, info.n_distinct
    return {"epochs": np.asarray(record.epochs), "i_xt": i_xt, "i_ty": i_ty, "n_distinct": n_distinct}
