"""Multivariate normal tasks with an arbitrary joint covariance, and bmi's dense (equicorrelated) family.

For ``(X, Y) ~ N(0, S)`` with ``S = [[S_xx, S_xy], [S_yx, S_yy]]`` (Cover & Thomas, *Elements of Information
Theory*, 2nd ed., Theorem 8.4.1 for the entropy ``h = 1/2 log((2 pi e)^d det S)``, and ``I = h(X) + h(Y) - h(X, Y)``):

    I(X; Y) = 1/2 log(det S_xx det S_yy / det S)            [nats]

computed with ``slogdet``. The MI does not change when coordinates are rescaled, so every numerical guard below is
applied to the *correlation* matrix ``D^-1/2 S D^-1/2`` (``D = diag S``): it must be positive definite with a
condition number of at most ``MAX_CONDITION = 1e10``, beyond which float64 sampling and log-determinants can no
longer be trusted to the precision a benchmark needs.

Dense family (bmi's ``multinormal-dense``, Czyż et al., "Beyond Normal", NeurIPS 2023): every off-diagonal entry
of the ``d x d`` joint correlation matrix (``d = dim_x + dim_y``) equals ``rho``. The equicorrelation matrix has
eigenvalues ``1 - rho`` (multiplicity ``d - 1``) and ``1 + (d - 1) rho``, so ``det = (1 - rho)^(d-1) (1 + (d-1) rho)``
and, the blocks being equicorrelated too,

    I = 1/2 [ -log(1 - rho) + log(1 + (dx-1) rho) + log(1 + (dy-1) rho) - log(1 + (d-1) rho) ]

It is positive definite exactly for ``-1/(d-1) < rho < 1``. A target MI is reached with ``rho >= 0`` by a root
finder (the MI is increasing in ``rho`` on ``[0, 1)``); a target beyond what a condition number of ``1e10`` allows
is refused with the reachable maximum in the message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mibench.interface import Task
from mibench.synthetic.naming import format_number
from mibench.validation import check_int

FAMILY = "multinormal"
DENSE_FAMILY = "multinormal-dense"
VERSION = "1"

#: Largest condition number of the joint correlation matrix a task may have.
MAX_CONDITION = 1e10

#: Caller-given names: lowercase words of letters and digits joined by single '-', '_' or '.'.
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")

DENSE_ID_PATTERN = re.compile(r"^multinormal-dense-(?P<dx>\d+)x(?P<dy>\d+)-(?P<kind>rho|mi)(?P<value>[-+0-9.e]+)$")


@dataclass(frozen=True, eq=False)
class MultinormalSampler:
    """Picklable sampler: ``(x, y) = z L^T`` split after ``dim_x`` columns, ``z ~ N(0, I)``, ``L L^T = S``."""

    dim_x: int
    cholesky: np.ndarray  # lower-triangular factor of the joint covariance, read-only

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        z = rng.standard_normal((n, self.cholesky.shape[0]))
        xy = z @ self.cholesky.T
        return np.ascontiguousarray(xy[:, : self.dim_x]), np.ascontiguousarray(xy[:, self.dim_x :])


def gaussian_mi(covariance: np.ndarray, dim_x: int) -> float:
    """``1/2 log(det S_xx det S_yy / det S)`` in nats, via ``slogdet`` (no validation; clipped at 0)."""
    s = np.asarray(covariance, dtype=float)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    value = 0.5 * (logdet(s[:dim_x, :dim_x]) + logdet(s[dim_x:, dim_x:]) - logdet(s))
    return max(float(value), 0.0)  # an independent split can round to -1e-16


def _validated_covariance(covariance: ArrayLike, dim_x: object) -> tuple[np.ndarray, int, float]:
    """The symmetrised covariance, ``dim_x`` and the correlation matrix's condition number, or a ValueError."""
    try:
        cov = np.array(covariance, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"covariance must be a square numeric matrix: {exc}") from exc
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] < 2:
        raise ValueError(f"covariance must be a square matrix of size >= 2 (dim_x + dim_y), got shape {cov.shape}")
    d = cov.shape[0]
    if not np.all(np.isfinite(cov)):
        raise ValueError("covariance must contain only finite numbers (no NaN or inf)")
    dx = check_int("dim_x", dim_x, 1, d - 1)
    scale = float(np.max(np.abs(cov)))
    asymmetry = float(np.max(np.abs(cov - cov.T)))
    if asymmetry > 1e-12 * scale:
        raise ValueError(
            f"covariance must be symmetric; max |S - S^T| = {asymmetry:.3g} exceeds 1e-12 x max |S| = {scale:.3g}"
        )
    cov = 0.5 * (cov + cov.T)
    variances = np.diag(cov)
    if np.any(variances <= 0):
        i = int(np.argmin(variances))
        raise ValueError(
            f"covariance must be positive definite: the variance of coordinate {i} is {variances[i]!r} (must be > 0)"
        )
    sd = np.sqrt(variances)
    eig = np.linalg.eigvalsh(cov / np.outer(sd, sd))
    if eig[0] <= 0:
        raise ValueError(
            f"covariance must be positive definite: its correlation matrix has eigenvalue {eig[0]:.3g} <= 0"
        )
    condition = float(eig[-1] / eig[0])
    if condition > MAX_CONDITION:
        raise ValueError(
            f"covariance is too ill-conditioned: its correlation matrix has condition number {condition:.3g}, "
            f"valid range is [1, {MAX_CONDITION:.0e}]"
        )
    return cov, dx, condition


def _cholesky(cov: np.ndarray) -> np.ndarray:
    factor = np.linalg.cholesky(cov)
    factor.setflags(write=False)
    return factor


def multinormal(covariance: ArrayLike, dim_x: int, *, name: str) -> Task:
    """A Gaussian task with any joint covariance ``S`` of ``(X, Y)``; ``X`` is the first ``dim_x`` coordinates.

    Args:
        covariance: the ``(dim_x + dim_y)``-square joint covariance; symmetric (to 1e-12 relative), positive
            definite, and its correlation matrix's condition number at most ``1e10``.
        dim_x: how many leading coordinates form ``X``, in ``[1, size - 1]``.
        name: the id suffix (``multinormal-{name}``): lowercase letters and digits in words joined by single
            ``-``, ``_`` or ``.``; it may not start with ``dense`` (reserved for :func:`multinormal_dense`).
    """
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name.startswith("dense"):
        raise ValueError(
            f"name must be lowercase letters and digits in words joined by single '-', '_' or '.', "
            f"not starting with 'dense' (e.g. 'block-3x3'), got {name!r}"
        )
    cov, dx, condition = _validated_covariance(covariance, dim_x)
    d = cov.shape[0]
    return Task(
        id=f"{FAMILY}-{name}",
        family=FAMILY,
        dim_x=dx,
        dim_y=d - dx,
        mi=gaussian_mi(cov, dx),
        sampler=MultinormalSampler(dx, _cholesky(cov)),
        truth="closed form",
        params={"name": name, "dim_x": dx, "dim_y": d - dx, "covariance": cov.tolist()},
        version=VERSION,
        description=f"Gaussian with a given {d}x{d} covariance (correlation condition number {condition:.3g})",
    )


# --------------------------------------------------------------------------------------------------------------
# Dense (equicorrelated) family
# --------------------------------------------------------------------------------------------------------------


def dense_mi(dim_x: int, dim_y: int, rho: float) -> float:
    """MI in nats of the equicorrelated Gaussian (every off-diagonal correlation ``rho``), closed form."""
    d = dim_x + dim_y
    value = 0.5 * (-math.log1p(-rho) + math.log1p((dim_x - 1) * rho) + math.log1p((dim_y - 1) * rho))
    return max(value - 0.5 * math.log1p((d - 1) * rho), 0.0)


def dense_condition_number(dim: int, rho: float) -> float:
    """Condition number of the ``dim x dim`` equicorrelation matrix (eigenvalues ``1 - rho``, ``1 + (dim-1) rho``)."""
    small, large = 1.0 - rho, 1.0 + (dim - 1) * rho
    return max(small, large) / min(small, large)


def dense_max_rho(dim: int) -> float:
    """The largest ``rho >= 0`` whose ``dim x dim`` equicorrelation matrix has condition number ``<= 1e10``."""
    return (MAX_CONDITION - 1.0) / (MAX_CONDITION + dim - 1.0)


def dense_min_rho(dim: int) -> float:
    """The smallest ``rho < 0`` whose ``dim x dim`` equicorrelation matrix has condition number ``<= 1e10``."""
    return (1.0 - MAX_CONDITION) / (1.0 + MAX_CONDITION * (dim - 1.0))


def dense_max_mi(dim_x: int, dim_y: int) -> float:
    """The largest MI (nats) the dense family reaches with ``rho >= 0`` within the condition-number guard."""
    return dense_mi(dim_x, dim_y, dense_max_rho(dim_x + dim_y))


def _dense_rho_for_mi(dim_x: int, dim_y: int, mi: float) -> float:
    """Bisection on ``[0, dense_max_rho]`` (the MI is increasing there) down to adjacent floats.

    A plain bisection rather than ``scipy.optimize``, whose import alone would cost more than building the whole
    catalogue."""
    if mi == 0.0:
        return 0.0
    low, high = 0.0, dense_max_rho(dim_x + dim_y)
    for _ in range(2000):  # ~1100 halvings reach adjacent floats from any start in [0, 1]
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if dense_mi(dim_x, dim_y, middle) < mi:
            low = middle
        else:
            high = middle
    return high if abs(dense_mi(dim_x, dim_y, high) - mi) <= abs(dense_mi(dim_x, dim_y, low) - mi) else low


def multinormal_dense(dim_x: int, dim_y: int, *, rho: float | None = None, mi: float | None = None) -> Task:
    """The equicorrelated Gaussian: unit variances, every off-diagonal correlation of the joint matrix ``rho``.

    Give exactly one of ``rho`` (in ``(-1/(dim_x + dim_y - 1), 1)``, and within the condition-number guard) or
    ``mi`` (target MI in nats, in ``[0, dense_max_mi(dim_x, dim_y)]``; solved for ``rho >= 0``).
    """
    dx = check_int("dim_x", dim_x)
    dy = check_int("dim_y", dim_y)
    d = dx + dy
    if (rho is None) == (mi is None):
        raise ValueError("give exactly one of rho (the common correlation) or mi (target MI in nats)")
    if rho is not None:
        low = -1.0 / (d - 1)
        if isinstance(rho, bool) or not (isinstance(rho, (int, float, np.number)) and low < rho < 1.0):
            raise ValueError(
                f"rho must be in the open interval (-1/(dim_x + dim_y - 1), 1) = ({low:.6g}, 1) for a positive "
                f"definite covariance, got {rho!r}"
            )
        condition = dense_condition_number(d, float(rho))
        if condition > MAX_CONDITION:
            raise ValueError(
                f"rho={rho!r} gives a {d}x{d} correlation matrix with condition number {condition:.3g} > "
                f"{MAX_CONDITION:.0e}; valid rho range within the guard is "
                f"[{dense_min_rho(d):.12g}, {dense_max_rho(d):.12g}]"
            )
        rho = float(rho)
        truth = dense_mi(dx, dy, rho)
        kind, value = "rho", rho
    else:
        assert mi is not None
        top = dense_max_mi(dx, dy)
        if isinstance(mi, bool) or not (isinstance(mi, (int, float, np.number)) and math.isfinite(mi) and mi >= 0):
            raise ValueError(f"mi must be a finite number in [0, {top:.6g}] nats for dense {dx}x{dy}, got {mi!r}")
        if mi > top:
            raise ValueError(
                f"mi={mi!r} nats is unreachable for dense {dx}x{dy}: it needs a covariance with condition number "
                f"> {MAX_CONDITION:.0e}; the reachable maximum is {top:.6g} nats (valid range [0, {top:.6g}])"
            )
        rho = _dense_rho_for_mi(dx, dy, float(mi))
        truth = float(mi)
        kind, value = "mi", float(mi)
    cov = np.full((d, d), rho)
    np.fill_diagonal(cov, 1.0)
    return Task(
        id=f"{DENSE_FAMILY}-{dx}x{dy}-{kind}{format_number(value)}",
        family=DENSE_FAMILY,
        dim_x=dx,
        dim_y=dy,
        mi=truth,
        sampler=MultinormalSampler(dx, _cholesky(cov)),
        truth="closed form",
        params={"dim_x": dx, "dim_y": dy, "rho": rho},
        version=VERSION,
        description=f"equicorrelated Gaussian over all {d} coordinates, rho={rho:.6g}",
    )


def from_id(task_id: str) -> Task | None:
    """Rebuild a dense task from its id (any dimensions and levels); ``None`` if the id is not of that form.

    Tasks of :func:`multinormal` (arbitrary covariance) cannot be rebuilt from their id; they live in the catalogue.
    """
    match = DENSE_ID_PATTERN.match(task_id)
    if match is None:
        return None
    value = float(match["value"])
    kwargs = {"rho": value} if match["kind"] == "rho" else {"mi": value}
    task = multinormal_dense(int(match["dx"]), int(match["dy"]), **kwargs)
    return task if task.id == task_id else None


# --------------------------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------------------------

#: bmi's dense tasks (``multinormal-dense-{d}-{d}-0.5`` there), all at rho = 0.5.
BMI_DENSE_DIMS = ((2, 2), (3, 3), (5, 5), (25, 25), (50, 50))
SWEEP_DIMS = (1, 2, 5, 10, 25)
SWEEP_MI = (0.1, 0.5, 1.0, 2.0, 5.0)


def block_covariance(
    dim_x: int, dim_y: int, *, within_x: float, within_y: float, cross: float, n_pairs: int
) -> np.ndarray:
    """Unit variances; equicorrelation ``within_x`` inside X and ``within_y`` inside Y; ``cross`` between
    ``X_i`` and ``Y_i`` for ``i < n_pairs``; 0 between other X and Y coordinates."""
    d = dim_x + dim_y
    cov = np.zeros((d, d))
    cov[:dim_x, :dim_x] = within_x
    cov[dim_x:, dim_x:] = within_y
    for i in range(n_pairs):
        cov[i, dim_x + i] = cov[dim_x + i, i] = cross
    np.fill_diagonal(cov, 1.0)
    return cov


def ar1_covariance(dim: int, phi: float) -> np.ndarray:
    """``corr(i, j) = phi^|i - j|``: a stationary Gaussian AR(1) chain (a Markov chain over the coordinates)."""
    index = np.arange(dim)
    return phi ** np.abs(index[:, None] - index[None, :])


def catalogue_tasks() -> Iterator[Task]:
    """bmi's dense tasks, dense MI-target sweeps and a few arbitrary-covariance examples."""
    for dx, dy in BMI_DENSE_DIMS:
        yield multinormal_dense(dx, dy, rho=0.5)
    for dim in SWEEP_DIMS:
        for level in SWEEP_MI:
            if level > dense_max_mi(dim, dim):  # unreachable within the condition-number guard: skipped
                continue
            yield multinormal_dense(dim, dim, mi=level)
    # Correlations inside X and inside Y as well as across: nuisance structure an estimator must not count as MI.
    yield multinormal(block_covariance(3, 3, within_x=0.5, within_y=0.5, cross=0.4, n_pairs=3), 3, name="block-3x3")
    # A Markov chain X1 - ... - X4 - Y1 - ... - Y4: I(X; Y) = I(X4; Y1) = -1/2 log(1 - phi^2).
    yield multinormal(ar1_covariance(8, 0.9), 4, name="ar1-4x4-phi0.9")
    # Coordinates on scales from 0.01 to 100 (MI is scale-free; estimators that do not standardise suffer).
    scales = np.array([0.01, 1.0, 100.0, 0.1, 10.0])
    corr = block_covariance(2, 3, within_x=0.3, within_y=-0.2, cross=0.7, n_pairs=2)
    yield multinormal(corr * np.outer(scales, scales), 2, name="scaled-2x3")
