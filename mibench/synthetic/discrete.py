"""Discrete pairs with exact MI by enumeration: any joint table, the binary symmetric channel, a noisy
categorical channel.

For a joint probability table ``p(x, y)`` over integer symbols ``x in {0..a-1}``, ``y in {0..b-1}`` the MI is a
finite sum (Cover & Thomas, eq. 2.28), with the convention ``0 log 0 = 0``:

    I(X; Y) = sum_{x,y : p(x,y) > 0} p(x, y) log[ p(x, y) / (p(x) p(y)) ]            [nats]

so every truth here is ``"exact"`` (floating-point rounding only). Samples are int64 arrays of shape ``(n, 1)``
and every task is marked ``discrete=True``: estimators for continuous data meet ties and may refuse them.

Families (all ``family="discrete"``):

* :func:`discrete_table` -- any table, id ``discrete-{name}``.
* :func:`binary_symmetric_channel` -- ``X ~ Bernoulli(prior)``, ``Y = X xor Z``, ``Z ~ Bernoulli(p)``:
  ``I = h2(prior (1 - p) + (1 - prior) p) - h2(p)`` (Cover & Thomas, section 7.1.4), id
  ``discrete-bsc-p{p}[-prior{prior}]`` (the prior is omitted at its default 0.5, where ``I = log 2 - h2(p)``).
* :func:`noisy_categorical` -- ``X`` uniform on ``m`` symbols, ``Y = X`` with probability ``1 - noise``, else
  uniform on the ``m`` symbols (possibly ``X`` again). ``Y`` is uniform, ``P(Y = X) = 1 - noise + noise/m`` and
  ``P(Y = y) = noise/m`` for each ``y != X``, so (an m-ary symmetric channel, Cover & Thomas problem 7.2):
  ``I = log m + a log a + (m - 1) c log c`` with ``a = 1 - noise + noise/m``, ``c = noise/m``; id
  ``discrete-categorical-m{m}-noise{noise}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from mibench.interface import Task
from mibench.synthetic.naming import format_number
from mibench.validation import check_int, check_real

FAMILY = "discrete"
VERSION = "1"

#: Tolerance on ``sum p(x, y) = 1`` accepted by :func:`discrete_table` (the table is then renormalised exactly).
SUM_TOLERANCE = 1e-9

_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.]*(?:-[a-z0-9.]+)*$")
_RESERVED_PREFIXES = ("bsc-", "categorical-")
_BSC_PATTERN = re.compile(r"^discrete-bsc-p(?P<p>[0-9.]+)(?:-prior(?P<prior>[0-9.]+))?$")
_CATEGORICAL_PATTERN = re.compile(r"^discrete-categorical-m(?P<m>\d+)-noise(?P<noise>[0-9.]+)$")


# --------------------------------------------------------------------------------------------------------------
# Exact information quantities
# --------------------------------------------------------------------------------------------------------------


def mi_from_terms(joint: np.ndarray, marginal_x: np.ndarray, marginal_y: np.ndarray) -> float:
    """``sum p(x,y) log[p(x,y) / (p(x) p(y))]`` over the cells of ``joint`` with ``p(x,y) > 0`` (nats).

    ``marginal_x`` (length ``a``) and ``marginal_y`` (length ``b``) are given separately so that a caller holding
    a truncated table (see :mod:`mibench.synthetic.mixed`) can pass the exact marginals. The sum is clipped at 0
    so that an independent table, whose terms cancel to within rounding, never yields ``-1e-17``.
    """
    joint = np.asarray(joint, dtype=np.float64)
    ratio_den = np.outer(marginal_x, marginal_y)
    positive = joint > 0
    p = joint[positive]
    value = float(np.sum(p * (np.log(p) - np.log(ratio_den[positive]))))
    return max(value, 0.0)


def table_mi(joint: np.ndarray | Sequence[Sequence[float]]) -> float:
    """Exact MI (nats) of a joint probability table ``joint[x, y]`` by enumeration, with ``0 log 0 = 0``.

    The table must already be a probability table (non-negative, summing to 1); :func:`discrete_table`
    validates user input before calling this.
    """
    p = np.asarray(joint, dtype=np.float64)
    return mi_from_terms(p, p.sum(axis=1), p.sum(axis=0))


def binary_entropy(p: float) -> float:
    """``h2(p) = -p log p - (1 - p) log(1 - p)`` in nats, with ``h2(0) = h2(1) = 0``."""
    return -sum(q * math.log(q) for q in (p, 1.0 - p) if q > 0.0)


# --------------------------------------------------------------------------------------------------------------
# Samplers (module-level frozen dataclasses: picklable)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSampler:
    """Draws cells of a joint table with ``rng.choice`` on the flattened (row-major) table.

    ``probabilities`` is the flattened table, ``n_cols`` its number of columns ``b``; cell ``k`` is
    ``(x, y) = divmod(k, b)``.
    """

    probabilities: tuple[float, ...]
    n_cols: int

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        cells = rng.choice(len(self.probabilities), size=n, p=np.asarray(self.probabilities))
        x, y = np.divmod(cells.astype(np.int64), self.n_cols)
        return x.reshape(n, 1), y.reshape(n, 1)


@dataclass(frozen=True)
class BinarySymmetricChannelSampler:
    """``X ~ Bernoulli(prior)``, ``Y = X xor Z`` with ``Z ~ Bernoulli(p)`` independent of ``X``."""

    p: float
    prior: float

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = (rng.random(n) < self.prior).astype(np.int64)
        flip = (rng.random(n) < self.p).astype(np.int64)
        return x.reshape(n, 1), (x ^ flip).reshape(n, 1)


@dataclass(frozen=True)
class NoisyCategoricalSampler:
    """``X`` uniform on ``{0..m-1}``; ``Y = X`` with probability ``1 - noise``, else a fresh uniform symbol."""

    m: int
    noise: float

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, self.m, size=n, dtype=np.int64)
        replace = rng.random(n) < self.noise
        fresh = rng.integers(0, self.m, size=n, dtype=np.int64)
        y = np.where(replace, fresh, x)
        return x.reshape(n, 1), y.reshape(n, 1)


# --------------------------------------------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------------------------------------------


def _check_probability(name: str, value: float) -> float:
    return check_real(f"{name} (a probability)", value, 0.0, 1.0)


def discrete_table(joint: np.ndarray | Sequence[Sequence[float]], *, name: str) -> Task:
    """A task drawing ``(x, y)`` from the joint probability table ``joint[x, y]`` (``a`` rows, ``b`` columns).

    Args:
        joint: a 2-D array-like of non-negative finite probabilities summing to 1 (within
            :data:`SUM_TOLERANCE`; the table is then renormalised exactly). Rows or columns of zeros are allowed
            (symbols that never occur).
        name: the id suffix: lowercase letters, digits and dots in hyphen-separated words (``"sparse-3x4"``);
            names starting with ``bsc-`` or ``categorical-`` are reserved for the parametric families.

    Raises:
        ValueError: ``joint`` is not 2-D, is empty, has negative or non-finite entries or does not sum to 1;
            ``name`` is malformed or reserved.
    """
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ValueError(
            f"name must be lowercase letters, digits and dots in hyphen-separated words (e.g. 'sparse-3x4'), "
            f"got {name!r}"
        )
    if name.startswith(_RESERVED_PREFIXES):
        raise ValueError(f"name must not start with one of {_RESERVED_PREFIXES} (reserved), got {name!r}")
    try:
        table = np.array(joint, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"joint must be a 2-D table of probabilities: {exc}") from exc
    if table.ndim != 2 or table.size == 0:
        raise ValueError(f"joint must be a non-empty 2-D table p[x, y], got shape {table.shape}")
    if not np.all(np.isfinite(table)):
        raise ValueError("joint must contain finite probabilities in [0, 1]; it has NaN or infinite entries")
    if np.any(table < 0):
        raise ValueError(f"joint must contain probabilities in [0, 1]; its smallest entry is {table.min()!r}")
    total = float(table.sum())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"joint must sum to 1 (within {SUM_TOLERANCE:g}), got {total!r}")
    table = table / total
    a, b = table.shape
    return Task(
        id=f"{FAMILY}-{name}",
        family=FAMILY,
        dim_x=1,
        dim_y=1,
        mi=table_mi(table),
        sampler=TableSampler(tuple(float(v) for v in table.ravel()), int(b)),
        truth="exact",
        params={"name": name, "joint": table.tolist()},
        version=VERSION,
        description=f"{a}x{b} joint probability table '{name}'",
        discrete=True,
    )


def binary_symmetric_channel(p: float, *, prior: float = 0.5) -> Task:
    """The binary symmetric channel with crossover probability ``p`` and input ``X ~ Bernoulli(prior)``.

    ``I = h2(P(Y=1)) - h2(p)``, ``P(Y=1) = prior (1 - p) + (1 - prior) p`` (nats; ``log 2 - h2(p)`` at
    ``prior = 0.5``, the channel capacity).

    Raises:
        ValueError: ``p`` or ``prior`` outside ``[0, 1]``.
    """
    p = _check_probability("p", p)
    prior = _check_probability("prior", prior)
    p_y1 = prior * (1.0 - p) + (1.0 - prior) * p
    mi = max(binary_entropy(p_y1) - binary_entropy(p), 0.0)
    prior_part = "" if prior == 0.5 else f"-prior{format_number(prior)}"
    return Task(
        id=f"{FAMILY}-bsc-p{format_number(p)}{prior_part}",
        family=FAMILY,
        dim_x=1,
        dim_y=1,
        mi=mi,
        sampler=BinarySymmetricChannelSampler(p, prior),
        truth="exact",
        params={"channel": "bsc", "p": p, "prior": prior},
        version=VERSION,
        description=f"binary symmetric channel, crossover {p:g}, P(X=1)={prior:g}",
        discrete=True,
    )


def noisy_categorical(m: int, noise: float) -> Task:
    """``X`` uniform on ``m`` symbols, ``Y = X`` w.p. ``1 - noise``, else uniform on the ``m`` symbols.

    ``I = log m + a log a + (m - 1) c log c``, ``a = 1 - noise + noise/m``, ``c = noise/m`` (nats; ``0 log 0 = 0``),
    evaluated as ``a log(m a) + (m - 1) c log(m c)``;
    ``log m`` at ``noise = 0``, ``0`` at ``noise = 1``.

    Raises:
        ValueError: ``m`` not an integer >= 2, or ``noise`` outside ``[0, 1]``.
    """
    m = check_int("m (number of symbols)", m, 2)
    noise = _check_probability("noise", noise)
    a = 1.0 - noise + noise / m
    c = noise / m
    # log m = (a + (m - 1) c) log m, so I = a log(m a) + (m - 1) c log(m c): exactly 0 at noise = 1.
    mi = max(sum(w * q * math.log(m * q) for w, q in ((1, a), (m - 1, c)) if q > 0.0), 0.0)
    return Task(
        id=f"{FAMILY}-categorical-m{m}-noise{format_number(noise)}",
        family=FAMILY,
        dim_x=1,
        dim_y=1,
        mi=mi,
        sampler=NoisyCategoricalSampler(m, noise),
        truth="exact",
        params={"channel": "categorical", "m": m, "noise": noise},
        version=VERSION,
        description=f"uniform {m}-ary symbol through a symmetric channel, noise {noise:g}",
        discrete=True,
    )


def from_id(task_id: str) -> Task | None:
    """Rebuild a binary-symmetric-channel or noisy-categorical task from its id; ``None`` if the id is not of
    these forms (tables cannot be rebuilt from their names: they come from the catalogue)."""
    match = _BSC_PATTERN.match(task_id)
    if match is not None:
        prior = float(match["prior"]) if match["prior"] is not None else 0.5
        task = binary_symmetric_channel(float(match["p"]), prior=prior)
    else:
        match = _CATEGORICAL_PATTERN.match(task_id)
        if match is None:
            return None
        task = noisy_categorical(int(match["m"]), float(match["noise"]))
    return task if task.id == task_id else None  # one spelling per task


# --------------------------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------------------------

#: A 3x4 table with structural zeros (a symbol pair that never occurs) and unequal marginals.
SPARSE_3X4 = (
    (0.20, 0.05, 0.00, 0.00),
    (0.00, 0.15, 0.25, 0.05),
    (0.10, 0.00, 0.05, 0.15),
)


def _band_table(size: int, width: int) -> list[list[float]]:
    """Uniform over the cells with ``|x - y| <= width`` of a ``size x size`` grid (a banded, non-symmetric-
    marginal table: the corner rows have fewer cells)."""
    cells = [[1.0 if abs(i - j) <= width else 0.0 for j in range(size)] for i in range(size)]
    total = sum(map(sum, cells))
    return [[v / total for v in row] for row in cells]


def catalogue_tasks() -> Iterator[Task]:
    """The discrete tasks of the named catalogue (exact truths, cheap to build)."""
    yield discrete_table(SPARSE_3X4, name="sparse-3x4")
    yield discrete_table(_band_table(16, 2), name="band-16x16-w2")
    for p in (0.01, 0.11, 0.3):  # 0.11: capacity 1/2 bit; none equals a binary categorical below (p = noise/2)
        yield binary_symmetric_channel(p)
    yield binary_symmetric_channel(0.1, prior=0.2)
    for m in (2, 10, 100):
        for noise in (0.1, 0.5):
            yield noisy_categorical(m, noise)
