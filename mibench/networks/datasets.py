"""Finite data sets for exact information in networks: the 12-bit set, scikit-learn's digits, a user's file.

With ``X`` uniform on the ``n`` rows of a data set, every network quantity is a finite sum, which is what makes
the truths of :mod:`mibench.networks.exact` exact. A data set here is a :class:`Dataset`: a name, the inputs
``x`` (``(n, d)`` float64), the labels ``y`` (``(n,)`` int64 in ``0 .. n_classes - 1``) and ``n_classes``.

* :func:`twelve_bit` -- the 12-bit set of Shwartz-Ziv & Tishby (2017): all ``2^12 = 4096`` binary vectors, row
  ``i`` the binary expansion of ``i`` (most significant bit first), and the labels generated exactly by the
  icosahedron-dipole rule below (it reproduces the authors' published file ``var_u.mat`` bit for bit, which the
  tests check when the file is at hand).
* :func:`digits` -- scikit-learn's 8x8 handwritten digits (1797 images, 10 classes; UCI optdigits test set).
* :func:`load_dataset` -- a user's ``.mat`` (keys ``F``, ``y``, like ``var_u.mat``) or ``.npz`` (keys ``x``, ``y``).
* :func:`stratified_split` -- the train/test split used for training (the information is always computed on
  the whole data set, as every group in the information-plane literature did).

The 12-bit labelling rule. Put bit ``i`` (0 = most significant) on the unit vector ``v_i`` along the ``i``-th
icosahedron vertex of :data:`ICOSAHEDRON` (each vertex divided by its norm ``sqrt(1 + phi^2)``,
``phi = (1 + sqrt 5) / 2``). With ``k = sum_i x_i`` the number of ones and the dipole ``S = sum_i x_i v_i``::

    y = 1  iff  k >= 8,  or  k = 5 and |S|^2 > 7,  or  k = 6 and |S|^2 > 2.5,  or  k = 7 and |S|^2 > 0.5

(``|S|^2`` is O(3)-invariant; any threshold in the gaps ``(5.68, 8.58]``, ``(2.21, 2.89]``, ``(0.32, 1.0]`` gives the
same labels). Result: 2118 ones; ``H(Y) = I(X; Y) = 0.999157`` bits with ``X`` uniform.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mibench.units import nats_to_bits

__all__ = [
    "ICOSAHEDRON",
    "TWELVE_BIT_THRESHOLDS",
    "Dataset",
    "digits",
    "dipole_norm_sq",
    "get_dataset",
    "load_dataset",
    "stratified_split",
    "twelve_bit",
]

_PHI = (1.0 + math.sqrt(5.0)) / 2.0

#: The 12 icosahedron vertices (unnormalised) carrying bits 0 (most significant) to 11, in this order.
ICOSAHEDRON: tuple[tuple[float, float, float], ...] = (
    (0.0, -1.0, -_PHI),
    (-1.0, -_PHI, 0.0),
    (0.0, -1.0, _PHI),
    (1.0, -_PHI, 0.0),
    (-_PHI, 0.0, 1.0),
    (0.0, 1.0, -_PHI),
    (-1.0, _PHI, 0.0),
    (1.0, _PHI, 0.0),
    (_PHI, 0.0, 1.0),
    (0.0, 1.0, _PHI),
    (_PHI, 0.0, -1.0),
    (-_PHI, 0.0, -1.0),
)

#: ``|S|^2`` thresholds of the 12-bit rule by number of ones ``k`` (``k <= 4``: always 0; ``k >= 8``: always 1).
TWELVE_BIT_THRESHOLDS: dict[int, float] = {5: 7.0, 6: 2.5, 7: 0.5}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A finite labelled data set; ``X`` is taken uniform on its rows.

    Attributes:
        name: short identifier used in task ids (``"12bit"``, ``"digits"``, or the user's choice).
        x: inputs, ``(n, d)`` float64 (read-only).
        y: labels, ``(n,)`` int64 in ``0 .. n_classes - 1`` (read-only).
        n_classes: number of classes (every class occurs at least once).
        description: one line for listings.
    """

    name: str
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    n_classes: int
    description: str = ""

    def __post_init__(self) -> None:
        x = np.array(self.x, dtype=np.float64, copy=True)
        y = np.array(self.y, copy=True)
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"dataset {self.name!r}: x must be a non-empty 2-D array (n, d), got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"dataset {self.name!r}: x contains NaN or infinite values")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(
                f"dataset {self.name!r}: y must be 1-D with one label per row of x ({x.shape[0]}), got shape {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"dataset {self.name!r}: y must be integer labels, got dtype {y.dtype}")
        y = y.astype(np.int64)
        k = int(self.n_classes)
        if k < 1 or y.min() < 0 or y.max() >= k or np.unique(y).size != k:
            raise ValueError(
                f"dataset {self.name!r}: labels must cover exactly 0 .. n_classes - 1 = {k - 1}, "
                f"got values {np.unique(y)[:20].tolist()}"
            )
        x.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "n_classes", k)

    @property
    def n(self) -> int:
        """Number of rows (the size of the uniform population)."""
        return int(self.x.shape[0])

    @property
    def dim(self) -> int:
        """Input dimension ``d``."""
        return int(self.x.shape[1])

    def label_entropy(self, unit: str = "nats") -> float:
        """``H(Y) = -sum_c p_c log p_c``, ``p_c`` the class frequencies; equals ``I(X; Y)`` (``Y`` is a function
        of ``X``). ``unit``: ``"nats"`` or ``"bits"``."""
        p = np.bincount(self.y, minlength=self.n_classes) / self.n
        p = p[p > 0]
        h = float(-np.sum(p * np.log(p)))
        return nats_to_bits(h) if unit == "bits" else h


# --------------------------------------------------------------------------------------------------------------
# The 12-bit set
# --------------------------------------------------------------------------------------------------------------


def dipole_norm_sq(bits: np.ndarray) -> np.ndarray:
    """``|S|^2`` for rows of 12 bits, ``S = sum_i x_i v_i`` with ``v_i`` the normalised :data:`ICOSAHEDRON` vertices."""
    vertices = np.asarray(ICOSAHEDRON, dtype=np.float64)
    vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    s = np.asarray(bits, dtype=np.float64) @ vertices
    return np.einsum("ij,ij->i", s, s)


def twelve_bit() -> Dataset:
    """The 12-bit set: all 4096 binary 12-vectors (row ``i`` = bits of ``i``, MSB first), dipole-rule labels."""
    index = np.arange(4096, dtype=np.int64)
    bits = (index[:, None] >> np.arange(11, -1, -1)) & 1
    k = bits.sum(axis=1)
    s2 = dipole_norm_sq(bits)
    y = k >= 8
    for ones, threshold in TWELVE_BIT_THRESHOLDS.items():
        y |= (k == ones) & (s2 > threshold)
    return Dataset(
        name="12bit",
        x=bits.astype(np.float64),
        y=y.astype(np.int64),
        n_classes=2,
        description="Shwartz-Ziv & Tishby's 12-bit set: 4096 binary inputs, icosahedron-dipole labels",
    )


# --------------------------------------------------------------------------------------------------------------
# scikit-learn digits
# --------------------------------------------------------------------------------------------------------------


def digits() -> Dataset:
    """scikit-learn's 8x8 digits: 1797 images, 64 features, 10 classes (``sklearn.datasets.load_digits``).

    The raw pixels are integers 0..16 (counts of set pixels in 4x4 blocks of a 32x32 bitmap); they are divided by
    16, so ``x`` lies in ``[0, 1]`` on the grid ``{0, 1/16, ..., 1}`` (exact in float64). Some images repeat; ``X``
    uniform on the rows is still well defined and every layer ``T`` stays a function of the image.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return Dataset(
        name="digits",
        x=np.asarray(bunch.data, dtype=np.float64) / 16.0,
        y=np.asarray(bunch.target, dtype=np.int64),
        n_classes=10,
        description="scikit-learn 8x8 digits: 1797 images scaled to [0, 1], 10 classes",
    )


# --------------------------------------------------------------------------------------------------------------
# A user's file
# --------------------------------------------------------------------------------------------------------------


def _labels_to_codes(name: str, y: np.ndarray) -> tuple[np.ndarray, int]:
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"{name}: labels must be a vector (n,), (1, n) or (n, 1), got shape {y.shape}")
    if y.dtype == bool:
        y = y.astype(np.int64)
    if not np.issubdtype(y.dtype, np.number):
        raise ValueError(f"{name}: labels must be numeric, got dtype {y.dtype}")
    if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
        raise ValueError(f"{name}: labels must be integer-valued (class indices)")
    classes, codes = np.unique(y, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), int(classes.size)


def load_dataset(path: str | os.PathLike[str], name: str | None = None) -> Dataset:
    """Load a data set from a ``.mat`` file (keys ``F`` inputs, ``y`` labels; ``scipy.io.loadmat``, MATLAB <= 7.2)
    or a ``.npz`` file (keys ``x`` inputs, ``y`` labels; loaded without pickle).

    Inputs become ``(n, d)`` float64 (a 1-D ``x`` is one feature). Labels may be ``(n,)``, ``(1, n)`` or ``(n, 1)``
    and must be integer-valued; if they are not already ``0 .. K - 1`` they are replaced by their rank among the
    distinct labels (sorted), which leaves every information quantity unchanged. ``name`` defaults to the file
    stem.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unsupported extension, a missing key, shapes that disagree, non-finite inputs or
            non-integer labels; the message names the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no data file at {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix == ".mat":
        from scipy.io import loadmat

        try:
            contents = loadmat(str(path))
        except Exception as exc:  # scipy raises several types for unreadable files
            raise ValueError(f"{path}: could not read as a MATLAB .mat file ({exc})") from exc
        x_key, y_key = "F", "y"
    elif suffix == ".npz":
        try:
            contents = dict(np.load(path, allow_pickle=False))
        except Exception as exc:
            raise ValueError(f"{path}: could not read as a numpy .npz file without pickle ({exc})") from exc
        x_key, y_key = "x", "y"
    else:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; use .mat (keys F, y) or .npz (keys x, y)")
    missing = [key for key in (x_key, y_key) if key not in contents]
    if missing:
        present = sorted(k for k in contents if not k.startswith("__"))
        raise ValueError(
            f"{path}: missing key(s) {missing}; a {suffix} data file needs {x_key!r} and {y_key!r}, found {present}"
        )
    x = np.asarray(contents[x_key])
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{path}: {x_key!r} must be a numeric 2-D array (n, d), got shape {x.shape} dtype {x.dtype}")
    y, n_classes = _labels_to_codes(str(path), contents[y_key])
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"{path}: {x_key!r} has {x.shape[0]} rows but {y_key!r} has {y.shape[0]} labels")
    if not np.all(np.isfinite(x.astype(np.float64))):
        raise ValueError(f"{path}: {x_key!r} contains NaN or infinite values")
    return Dataset(
        name=name or path.stem,
        x=x.astype(np.float64),
        y=y,
        n_classes=n_classes,
        description=f"loaded from {path.name}",
    )


_BUILTIN = {"12bit": twelve_bit, "digits": digits}


def get_dataset(name: str) -> Dataset:
    """A built-in data set by name (``"12bit"`` or ``"digits"``), or a ``.mat``/``.npz`` file path."""
    if name in _BUILTIN:
        return _BUILTIN[name]()
    if name.lower().endswith((".mat", ".npz")):
        return load_dataset(name)
    raise ValueError(f"unknown data set {name!r}; built-ins are {sorted(_BUILTIN)}, or give a .mat/.npz path")


# --------------------------------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------------------------------


def stratified_split(y: np.ndarray, test_fraction: float = 0.2, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of a stratified random split, deterministic in ``seed``.

    For each class ``c`` with ``n_c`` rows, ``round(test_fraction * n_c)`` of its rows (chosen by a permutation
    drawn from ``numpy.random.default_rng(seed)``, classes in increasing order) go to the test set, the rest to
    the training set, so class proportions agree in both parts to within one row per class. Both index arrays
    are sorted; together they partition ``0 .. n - 1``.
    """
    y = np.asarray(y).reshape(-1)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        members = members[rng.permutation(members.size)]
        n_test = int(np.rint(test_fraction * members.size))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
