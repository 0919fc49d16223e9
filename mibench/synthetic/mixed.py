"""Discrete-continuous and quantised pairs: a uniform window over a discrete symbol, and a quantised Gaussian.

**Uniform window** (family ``"mixed"``, id ``mixed-uniform-window-m{m}``, truth ``"closed form"``).
``X`` uniform on ``{0, ..., m-1}`` (int64), ``Y | X ~ U(X, X + 2)`` (float64). The windows of neighbouring
symbols overlap by half, so ``Y`` has density ``1/(2m)`` on ``[0, 1)`` and ``[m, m+1)`` (one window) and ``1/m``
on ``[1, m)`` (two windows). Hence

    h(Y)     = 2 * (1/(2m)) log(2m) + (m - 1)/m * log m = log m + (1/m) log 2
    h(Y | X) = log 2                                      (a width-2 uniform)
    I(X; Y)  = h(Y) - h(Y | X) = log m - (m - 1)/m * log 2          [nats]

(the mixed-pair analogue of Gao, Kannan, Oh & Viswanath, "Estimating mutual information for discrete-continuous
mixtures", NeurIPS 2017). The task is marked ``discrete=True`` because ``x`` is integer-valued (ties): estimators
that do not accept discrete data may refuse it.

**Quantised Gaussian** (family ``"quantized-gaussian"``, id ``quantized-gaussian-rho{rho}-w{width}``, truth
``"quadrature"``, ``discrete=True``). ``(Z1, Z2)`` standard bivariate normal with correlation ``rho``, and
``X = floor(Z1 / width)``, ``Y = floor(Z2 / width)`` (int64), the unbounded fixed-width binning of Saxe et al.
(cell ``i`` is ``[i w, (i+1) w)``; cell 0 starts at 0). The pair is discrete, so its MI is the finite-alphabet sum

    I = sum_{i,j} p_ij log[p_ij / (p_i q_j)],    p_i = q_i = Phi((i+1) w) - Phi(i w),

    p_ij = int_{i w}^{(i+1) w} phi(x) [Phi((b_j - rho x)/s) - Phi((a_j - rho x)/s)] dx,  s = sqrt(1 - rho^2),

with ``[a_j, b_j) = [j w, (j+1) w)``. By the data-processing inequality ``I <= -1/2 log(1 - rho^2)``; as the width
shrinks it converges to that value from below, ``I = -1/2 log(1 - rho^2) - w^2 rho^2 / (12 (1 - rho^2)) + O(w^4)``
(the ``w^2/24`` Fisher-information correction to the entropy of a finely quantised density).

*How the truth is computed, and its accuracy.* Each ``p_ij`` is the 1-D integral above, evaluated by composite
Gauss-Legendre quadrature (:data:`GAUSS_NODES` nodes per sub-interval; each cell is split into sub-intervals no
longer than ``min(1, 2 s / |rho|)``, so the conditional CDFs, which change on the scale ``s / |rho|`` in ``x``, and
``phi`` are resolved to machine precision). Normal tail probabilities are taken on the side of the mean
(``Phi(-a) - Phi(-b)`` above the mean), so even cells of probability ``1e-30`` keep a relative accuracy ~1e-13; the
tests check every ``p_ij`` against adaptive ``scipy.integrate.quad`` at ``epsabs = 1e-13`` (agreement to 1e-12) and
the MI to 1e-10 (observed: 2e-12, the effect of the test's own coarser truncation).
The infinite grid is truncated to the cells inside ``[-L, L]^2`` (rounded outwards to cell edges),
``L =`` :data:`TRUNCATION` ``= 9``, and the marginals ``p_i, q_j`` are the exact ones, so the truth is the exact
sum over the kept cells. The neglected cells ``N`` (``x`` or ``y`` outside ``[-L, L]``, total mass
``eps <= 4 Phi(-L) = 4.5e-19``) change it by ``Delta`` with

    -eps <= Delta <= sum_{i out} p_i log(1/p_i) + sum_{j out} q_j log(1/q_j)   (< 1e-16 for every width >= 0.01)

because ``p_ij <= min(p_i, q_j)`` gives ``t_ij <= p_ij log(1/p_i)`` (resp. ``1/q_j``) and ``log u >= 1 - 1/u``
gives ``t_ij >= p_ij - p_i q_j``. :func:`quantized_gaussian_cells` returns this bound, and the factory refuses a
grid where it exceeds 1e-12. Overall the truth is accurate to better than 1e-10 nats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import special

from mibench.interface import Task
from mibench.synthetic.discrete import mi_from_terms
from mibench.synthetic.naming import format_number
from mibench.validation import check_int, check_real

MIXED_FAMILY = "mixed"
QUANTIZED_FAMILY = "quantized-gaussian"
VERSION = "1"

#: Half-width of the square on which the quantised grid is kept: P(|Z| > 9) = 2.3e-19.
TRUNCATION = 9.0
#: Gauss-Legendre nodes per sub-interval of an x-cell.
GAUSS_NODES = 24
#: Smallest cell width accepted (a 1800 x 1800 grid; the cost grows as 1/width^2).
MIN_WIDTH = 0.01
#: Largest accepted bound on the change of the truth by the truncation of the grid (nats).
MAX_TRUNCATION_ERROR = 1e-12

_WINDOW_PATTERN = re.compile(r"^mixed-uniform-window-m(?P<m>\d+)$")
_QUANTIZED_PATTERN = re.compile(r"^quantized-gaussian-rho(?P<rho>-?[0-9.]+)-w(?P<width>[0-9.]+)$")


# --------------------------------------------------------------------------------------------------------------
# Uniform window over a discrete symbol
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UniformWindowSampler:
    """``X`` uniform on ``{0..m-1}`` (int64), ``Y = X + 2 U`` with ``U ~ U(0, 1)`` (float64)."""

    m: int

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, self.m, size=n, dtype=np.int64)
        y = x + 2.0 * rng.random(n)
        return x.reshape(n, 1), y.reshape(n, 1)


def uniform_window_mi(m: int) -> float:
    """``I(X; Y) = log m - (m - 1)/m log 2`` nats for the uniform-window pair (see the module docstring)."""
    return math.log(m) - (m - 1) / m * math.log(2.0)


def uniform_window(m: int) -> Task:
    """Discrete ``X`` uniform on ``m`` symbols, continuous ``Y | X ~ U(X, X + 2)``.

    Raises:
        ValueError: ``m`` is not an integer >= 2.
    """
    m = check_int("m (number of symbols)", m, 2)
    return Task(
        id=f"{MIXED_FAMILY}-uniform-window-m{m}",
        family=MIXED_FAMILY,
        dim_x=1,
        dim_y=1,
        mi=uniform_window_mi(m),
        sampler=UniformWindowSampler(m),
        truth="closed form",
        params={"m": m},
        version=VERSION,
        description=f"discrete X uniform on {m} symbols, continuous Y ~ U(X, X+2)",
        discrete=True,
    )


# --------------------------------------------------------------------------------------------------------------
# Quantised bivariate Gaussian
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuantizedGaussianSampler:
    """``(floor(Z1 / width), floor(Z2 / width))`` for a standard bivariate normal with correlation ``rho``."""

    rho: float
    noise_scale: float  # sqrt(1 - rho^2)
    width: float

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        z1 = rng.standard_normal(n)
        z2 = self.rho * z1 + self.noise_scale * rng.standard_normal(n)
        x = np.floor(z1 / self.width).astype(np.int64)
        y = np.floor(z2 / self.width).astype(np.int64)
        return x.reshape(n, 1), y.reshape(n, 1)


def _normal_interval(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """``Phi(upper) - Phi(lower)`` with full relative accuracy in both tails (subtract upper-tail probabilities
    above the mean)."""
    lower, upper = np.broadcast_arrays(lower, upper)
    above = lower >= 0
    return np.where(above, special.ndtr(-lower) - special.ndtr(-upper), special.ndtr(upper) - special.ndtr(lower))


def _grid_edges(width: float) -> np.ndarray:
    """Cell edges ``k * width`` covering ``[-TRUNCATION, TRUNCATION]`` (rounded outwards to whole cells)."""
    lo = math.floor(-TRUNCATION / width)
    hi = math.ceil(TRUNCATION / width)
    return np.arange(lo, hi + 1, dtype=np.float64) * width


def _marginal_tail_entropy(width: float, first_kept: int, last_kept: int) -> tuple[float, float]:
    """``(mass, sum p log 1/p)`` of the standard-normal cells of this width outside ``[first_kept, last_kept]``,
    summed until the terms are below 1e-40 (they decay like exp(-z^2/2))."""
    mass = entropy = 0.0
    for direction, start in ((-1, first_kept - 1), (1, last_kept + 1)):
        k = start
        while True:
            p = float(_normal_interval(np.array(k * width), np.array((k + 1) * width)))
            if p > 0:
                mass += p
                entropy -= p * math.log(p)
            if p < 1e-40:
                break
            k += direction
    return mass, entropy


@dataclass(frozen=True)
class QuantizedCells:
    """The truncated cell table of a quantised Gaussian (see :func:`quantized_gaussian_cells`).

    Attributes:
        first_cell: the integer index of the first kept cell (the same on both axes); cell ``first_cell + k`` is
            row/column ``k``.
        joint: ``joint[i, j]`` = P(X = first_cell + i, Y = first_cell + j).
        marginal: the exact marginal probabilities of the kept cells (the same for X and Y).
        neglected_mass: upper bound on the probability outside the kept square, ``P(X out) + P(Y out)``.
        truncation_bound: upper bound on ``|I(all cells) - I(kept cells)|`` in nats.
    """

    first_cell: int
    joint: np.ndarray
    marginal: np.ndarray
    neglected_mass: float
    truncation_bound: float


def quantized_gaussian_cells(rho: float, width: float) -> QuantizedCells:
    """Cell probabilities of ``(floor(Z1/width), floor(Z2/width))`` on the truncated grid, by composite
    Gauss-Legendre quadrature of ``int phi(x) [Phi((b - rho x)/s) - Phi((a - rho x)/s)] dx`` over each x-cell.

    Parameters are assumed valid (the factory checks them).
    """
    s = math.sqrt((1.0 - rho) * (1.0 + rho))
    edges = _grid_edges(width)
    n_cells = len(edges) - 1
    first_cell = round(edges[0] / width)
    marginal = _normal_interval(edges[:-1], edges[1:])

    # Sub-intervals per x-cell so that each is at most min(1, 2 s / |rho|) long.
    max_step = 1.0 if rho == 0 else min(1.0, 2.0 * s / abs(rho))
    n_sub = max(1, math.ceil(width / max_step - 1e-12))
    nodes, weights = np.polynomial.legendre.leggauss(GAUSS_NODES)
    sub = width / n_sub
    # Offsets of all quadrature points inside a cell [0, width), and their weights (including phi later).
    offsets = ((np.arange(n_sub)[:, None] + 0.5) * sub + 0.5 * sub * nodes[None, :]).ravel()
    base_weights = np.tile(0.5 * sub * weights, n_sub)

    joint = np.empty((n_cells, n_cells))
    rows_per_chunk = max(1, 4_000_000 // (len(offsets) * n_cells))
    for start in range(0, n_cells, rows_per_chunk):
        stop = min(n_cells, start + rows_per_chunk)
        x = edges[start:stop, None] + offsets[None, :]  # (rows, points)
        w = base_weights[None, :] * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        standardized = (edges[None, None, :] - rho * x[:, :, None]) / s  # (rows, points, edges)
        conditional = _normal_interval(standardized[:, :, :-1], standardized[:, :, 1:])
        joint[start:stop] = np.einsum("rp,rpc->rc", w, conditional)

    tail_mass, tail_entropy = _marginal_tail_entropy(width, first_cell, first_cell + n_cells - 1)
    return QuantizedCells(
        first_cell=first_cell,
        joint=joint,
        marginal=marginal,
        neglected_mass=2.0 * tail_mass,
        truncation_bound=max(2.0 * tail_entropy, 2.0 * tail_mass),
    )


def quantized_gaussian_mi(rho: float, width: float) -> float:
    """The MI (nats) of the quantised Gaussian pair, accurate to 1e-10 (see the module docstring)."""
    cells = quantized_gaussian_cells(rho, width)
    return mi_from_terms(cells.joint, cells.marginal, cells.marginal)


def quantized_gaussian(rho: float, width: float) -> Task:
    """A standard bivariate normal with correlation ``rho``, both coordinates quantised by ``floor(z / width)``.

    Raises:
        ValueError: ``rho`` outside ``(-1, 1)``; ``width`` not a finite number >= :data:`MIN_WIDTH`.
    """
    rho = check_real("rho", rho, -1.0, 1.0, low_open=True, high_open=True)
    width = check_real("width", width, MIN_WIDTH)  # the grid has ~(18 / width)^2 cells
    cells = quantized_gaussian_cells(rho, width)
    if cells.truncation_bound > MAX_TRUNCATION_ERROR:  # pragma: no cover - cannot happen for width >= MIN_WIDTH
        raise RuntimeError(f"truncation bound {cells.truncation_bound:g} exceeds {MAX_TRUNCATION_ERROR:g}")
    mi = mi_from_terms(cells.joint, cells.marginal, cells.marginal)
    return Task(
        id=f"{QUANTIZED_FAMILY}-rho{format_number(rho)}-w{format_number(width)}",
        family=QUANTIZED_FAMILY,
        dim_x=1,
        dim_y=1,
        mi=mi,
        sampler=QuantizedGaussianSampler(rho, math.sqrt((1.0 - rho) * (1.0 + rho)), width),
        truth="quadrature",
        params={"rho": rho, "width": width},
        version=VERSION,
        description=f"bivariate normal rho={rho:g} quantised to cells of width {width:g}",
        discrete=True,
    )


# --------------------------------------------------------------------------------------------------------------
# Ids and catalogue
# --------------------------------------------------------------------------------------------------------------


def from_id(task_id: str) -> Task | None:
    """Rebuild a uniform-window or quantised-Gaussian task from its id; ``None`` if the id is of neither form."""
    match = _WINDOW_PATTERN.match(task_id)
    if match is not None:
        task = uniform_window(int(match["m"]))
    else:
        match = _QUANTIZED_PATTERN.match(task_id)
        if match is None:
            return None
        task = quantized_gaussian(float(match["rho"]), float(match["width"]))
    return task if task.id == task_id else None  # one spelling per task


def catalogue_tasks() -> Iterator[Task]:
    """The mixed and quantised-Gaussian tasks of the named catalogue."""
    for m in (2, 4, 16):
        yield uniform_window(m)
    for rho in (0.5, 0.9, 0.99):
        for width in (1.0, 0.25):
            yield quantized_gaussian(rho, width)
