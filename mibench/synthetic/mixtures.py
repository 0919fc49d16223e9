"""Mixture tasks with zero correlation but positive MI: dependence a linear (Gaussian / CCA) estimator cannot see.

Every model here has exact densities -- finite mixtures, evaluated with ``logsumexp`` over the components -- so the
pointwise MI ``i(x, y) = log p(x, y) - log p(x) - log p(y)`` is exact, and the truth is its Monte-Carlo mean
``I = E[i(X, Y)]`` over the model's own samples, with standard error ``SD(i) / sqrt(N)`` (truth ``"monte carlo"``;
the estimator of Goldfeld et al.'s sample propagation, here with the exact density). Each model's Pearson
correlation between every coordinate of ``X`` and every coordinate of ``Y`` is exactly 0 by symmetry, so the
Gaussian baseline estimates ~0 while the truth is clearly positive.

Monte Carlo is never run at catalogue time: each truth is a constant in :data:`PRECOMPUTED` with the seed and the
number of points used, and :func:`compute_truth` recomputes it (``python -m mibench.synthetic.mixtures`` reprints
the whole table). The stored standard errors are below 1.6e-4 nats; a task's is at most 4.8e-4 (five X pairs).

Models (family ``"mixture"``):

* :class:`XMixture` -- the "X": ``(X, Y)`` an equal mixture of two bivariate normals with unit variances and
  correlations ``+rho`` and ``-rho``; ``X`` and ``Y`` are exactly N(0, 1) and uncorrelated, yet ``|Y|`` tracks
  ``|X|``. With ``n_pairs = d`` independent copies the MI is exactly ``d`` times the single-pair MI (MI adds over
  independent pairs), so only the single pair is tabulated and the ``d``-pair task reports ``d * I_1`` with
  standard error ``d * SE_1``. Id ``mixture-x-rho{rho}[-pairs{d}]``.
* :class:`ShellsMixture` -- concentric shells: ``R`` uniform on ``{1, ..., K}``, ``U`` uniform on the unit
  sphere ``S^{d-1}``, ``X = R U + sigma_x Z`` in ``R^d``, ``Y = R + sigma_y E`` (``Z, E`` standard normal). ``X``
  reveals its radius, not its direction. Exact density of ``X | R = r`` (a Gaussian-blurred sphere; the von
  Mises-Fisher normaliser, Mardia & Jupp 2000, eq. 9.3.4):

      p(x | r) = (2 pi sigma^2)^{-d/2} exp(-(|x|^2 + r^2) / (2 sigma^2)) A_d(r |x| / sigma^2),
      A_d(k) = E_U[exp(k U_1)] = Gamma(d/2) (2/k)^{d/2-1} I_{d/2-1}(k)      (A_1 = cosh, A_3(k) = sinh(k)/k),

  computed with the exponentially scaled Bessel function ``ive``. Id
  ``mixture-shells-d{d}-k{K}-sx{sigma_x}-sy{sigma_y}``.
* :class:`ParabolaMixture` -- ``K`` Gaussian blobs on the parabola ``y = x^2``: component ``c`` uniform on
  ``{0..K-1}``, ``m_c = c - (K-1)/2``, ``X ~ N(m_c, s^2)``, ``Y ~ N(m_c^2, s^2)``. ``Cov(X, Y) = E[m^3] = 0`` for
  the symmetric means, a ``Y = X^2``-type dependence. Id ``mixture-parabola-k{K}-s{s}``.
* :class:`ScaleMixture` -- a shared random scale: with probability 1/2 each ``X, Y ~ N(0, I_d)``, otherwise both
  ``~ N(0, a^2 I_d)`` (independently given the scale). Every cross-covariance is 0; the dependence is in ``|X|``
  and ``|Y|`` (as in elliptical laws such as the Student t). ``I <= log 2``. Id ``mixture-scale-d{d}-a{a}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import special

from mibench.interface import Task
from mibench.synthetic.naming import format_number
from mibench.validation import check_int, check_positive, check_real

FAMILY = "mixture"
VERSION = "1"

#: Points per chunk of the Monte-Carlo loop (part of what makes a (seed, n_points) computation reproducible).
CHUNK_SIZE = 1_000_000


class MixtureModel(Protocol):
    """A sampler with an exact pointwise MI: the interface :func:`compute_truth` needs."""

    @property
    def dim_x(self) -> int: ...

    @property
    def dim_y(self) -> int: ...

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...

    def pointwise_mi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray: ...


def _lse(a: np.ndarray) -> np.ndarray:
    """``log sum exp`` over the last axis (components)."""
    return special.logsumexp(a, axis=-1)


def _mixture_pointwise(log_px_c: np.ndarray, log_py_c: np.ndarray, n_components: int) -> np.ndarray:
    """Pointwise MI of an equal-weight mixture of products ``p(x, y) = (1/K) sum_c p_c(x) p_c(y)``.

    ``log_px_c[i, c] = log p_c(x_i) + const_x`` and likewise for ``y``: additive constants that do not depend on
    ``c`` cancel, and so do the weights: ``i = lse(lx + ly) - lse(lx) - lse(ly) + log K``.
    """
    return _lse(log_px_c + log_py_c) - _lse(log_px_c) - _lse(log_py_c) + math.log(n_components)


# --------------------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XMixture:
    """``n_pairs`` independent pairs, each ``1/2 N(0, [[1, rho], [rho, 1]]) + 1/2 N(0, [[1, -rho], [-rho, 1]])``."""

    rho: float
    n_pairs: int = 1

    @property
    def dim_x(self) -> int:
        return self.n_pairs

    @property
    def dim_y(self) -> int:
        return self.n_pairs

    @property
    def noise_scale(self) -> float:
        return math.sqrt((1.0 - self.rho) * (1.0 + self.rho))

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, self.n_pairs))
        sign = 2.0 * rng.integers(0, 2, size=(n, self.n_pairs)) - 1.0
        y = sign * self.rho * x + self.noise_scale * rng.standard_normal((n, self.n_pairs))
        return x, y

    def pointwise_mi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Sum over pairs of ``log[(N_+(x,y) + N_-(x,y)) / 2] - log phi(x) - log phi(y)``."""
        s2 = (1.0 - self.rho) * (1.0 + self.rho)
        quad = x * x + y * y
        cross = 2.0 * self.rho * x * y
        log_joint_c = np.stack([-(quad - cross) / (2.0 * s2), -(quad + cross) / (2.0 * s2)], axis=-1) - math.log(
            2.0 * math.pi * math.sqrt(s2)
        )
        log_joint = _lse(log_joint_c) - math.log(2.0)
        log_marginals = -0.5 * quad - math.log(2.0 * math.pi)
        return np.sum(log_joint - log_marginals, axis=1)


def log_sphere_mgf(dim: int, kappa: np.ndarray) -> np.ndarray:
    """``log A_d(kappa) = log E[exp(kappa U_1)]`` for ``U`` uniform on ``S^{d-1}`` (``kappa >= 0``).

    ``A_d(k) = Gamma(d/2) (2/k)^{d/2-1} I_{d/2-1}(k)``, with ``I_v(k) = ive(v, k) e^k``. Below ``k = 1e-3`` the
    Bessel route loses relative accuracy to cancellation (and fails at 0), so the series from ``E[U_1^2] = 1/d``,
    ``E[U_1^4] = 3/(d(d+2))`` is used: ``log A_d(k) = k^2/(2d) - k^4/(4 d^2 (d+2)) + O(k^6)`` (relative error
    < 1e-12 there).
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    nu = 0.5 * dim - 1.0
    small = kappa < 1e-3
    k = np.where(small, 1.0, kappa)
    with np.errstate(divide="ignore"):
        large = special.gammaln(0.5 * dim) + nu * np.log(2.0 / k) + np.log(special.ive(nu, k)) + k
    k2 = kappa * kappa
    series = k2 / (2.0 * dim) - k2 * k2 / (4.0 * dim * dim * (dim + 2.0))
    return np.where(small, series, large)


@dataclass(frozen=True)
class ShellsMixture:
    """``R ~ U{1..K}``, ``X = R U + sigma_x Z`` (``U`` uniform on ``S^{d-1}``), ``Y = R + sigma_y E``."""

    dim: int
    n_shells: int
    sigma_x: float
    sigma_y: float

    @property
    def dim_x(self) -> int:
        return self.dim

    @property
    def dim_y(self) -> int:
        return 1

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        r = rng.integers(1, self.n_shells + 1, size=n).astype(np.float64)
        direction = rng.standard_normal((n, self.dim))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        x = r[:, None] * direction + self.sigma_x * rng.standard_normal((n, self.dim))
        y = r + self.sigma_y * rng.standard_normal(n)
        return x, y.reshape(n, 1)

    def pointwise_mi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        radii = np.arange(1, self.n_shells + 1, dtype=np.float64)
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        s2 = self.sigma_x**2
        # log p(x | r) up to terms free of r: -r^2 / (2 s^2) + log A_d(r |x| / s^2).
        log_px_c = -(radii**2) / (2.0 * s2) + log_sphere_mgf(self.dim, radii * norm / s2)
        log_py_c = -((y.reshape(-1, 1) - radii) ** 2) / (2.0 * self.sigma_y**2)
        return _mixture_pointwise(log_px_c, log_py_c, self.n_shells)


@dataclass(frozen=True)
class ParabolaMixture:
    """Component ``c ~ U{0..K-1}``, ``m = c - (K-1)/2``, ``X ~ N(m, s^2)``, ``Y ~ N(m^2, s^2)``."""

    n_components: int
    sigma: float

    @property
    def dim_x(self) -> int:
        return 1

    @property
    def dim_y(self) -> int:
        return 1

    @property
    def means(self) -> np.ndarray:
        return np.arange(self.n_components, dtype=np.float64) - 0.5 * (self.n_components - 1)

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        m = self.means[rng.integers(0, self.n_components, size=n)]
        x = m + self.sigma * rng.standard_normal(n)
        y = m * m + self.sigma * rng.standard_normal(n)
        return x.reshape(n, 1), y.reshape(n, 1)

    def pointwise_mi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        m = self.means
        s2 = self.sigma**2
        log_px_c = -((x.reshape(-1, 1) - m) ** 2) / (2.0 * s2)
        log_py_c = -((y.reshape(-1, 1) - m * m) ** 2) / (2.0 * s2)
        return _mixture_pointwise(log_px_c, log_py_c, self.n_components)


@dataclass(frozen=True)
class ScaleMixture:
    """With probability 1/2 ``X, Y ~ N(0, I_d)`` independently, else ``X, Y ~ N(0, ratio^2 I_d)`` independently."""

    dim: int
    ratio: float

    @property
    def dim_x(self) -> int:
        return self.dim

    @property
    def dim_y(self) -> int:
        return self.dim

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        scale = np.where(rng.integers(0, 2, size=n) == 1, self.ratio, 1.0)[:, None]
        x = scale * rng.standard_normal((n, self.dim))
        y = scale * rng.standard_normal((n, self.dim))
        return x, y

    def pointwise_mi(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        scales = np.array([1.0, self.ratio])

        def log_p(v: np.ndarray) -> np.ndarray:
            sq = np.sum(v * v, axis=1, keepdims=True)
            return -self.dim * np.log(scales) - sq / (2.0 * scales**2)

        return _mixture_pointwise(log_p(x), log_p(y), 2)


# --------------------------------------------------------------------------------------------------------------
# Monte-Carlo truths
# --------------------------------------------------------------------------------------------------------------


def compute_truth(model: MixtureModel, n_points: int, seed: int) -> tuple[float, float]:
    """Monte-Carlo MI of ``model``: the mean of its exact pointwise MI over ``n_points`` of its own samples.

    Returns ``(value, stderr)`` in nats, ``stderr = SD / sqrt(n_points)``. Draws chunks of :data:`CHUNK_SIZE`
    points in turn from ``numpy.random.default_rng(seed)``, so ``(model, n_points, seed)`` fixes the result;
    chunk statistics are merged with Chan et al.'s pairwise update (no loss of precision at 1e8 points).
    """
    check_int("n_points", n_points, 2)
    rng = np.random.default_rng(seed)
    count, mean, m2 = 0, 0.0, 0.0
    remaining = int(n_points)
    while remaining > 0:
        size = min(CHUNK_SIZE, remaining)
        x, y = model(size, rng)
        values = model.pointwise_mi(x, y)
        chunk_mean = float(values.mean())
        chunk_m2 = float(np.sum((values - chunk_mean) ** 2))
        total = count + size
        delta = chunk_mean - mean
        mean += delta * size / total
        m2 += chunk_m2 + delta * delta * count * size / total
        count = total
        remaining -= size
    return mean, math.sqrt(m2 / (count - 1) / count)


@dataclass(frozen=True)
class MonteCarloTruth:
    """A stored Monte-Carlo truth: ``value`` +- ``stderr`` nats from ``n_points`` points of ``seed``."""

    value: float
    stderr: float
    n_points: int
    seed: int


#: Precomputed truths, by model, from ``compute_truth(model, n_points, seed)`` (reprint with
#: ``python -m mibench.synthetic.mixtures``). The X mixture is tabulated for a single pair only.
PRECOMPUTED: dict[object, MonteCarloTruth] = {
    XMixture(rho=0.5, n_pairs=1): MonteCarloTruth(0.025381745504628763, 2.3743319456157334e-05, 100000000, 1),
    XMixture(rho=0.9, n_pairs=1): MonteCarloTruth(0.40833398643619917, 7.462154158717347e-05, 100000000, 2),
    XMixture(rho=0.99, n_pairs=1): MonteCarloTruth(1.3517990404085478, 9.452265114481607e-05, 100000000, 3),
    ShellsMixture(dim=2, n_shells=3, sigma_x=0.2, sigma_y=0.3): MonteCarloTruth(
        0.9177704009213513, 0.00011548570754741743, 20000000, 4
    ),
    ShellsMixture(dim=5, n_shells=4, sigma_x=0.3, sigma_y=0.3): MonteCarloTruth(
        1.0479047856019412, 0.00014328228043653115, 20000000, 5
    ),
    ParabolaMixture(n_components=5, sigma=0.3): MonteCarloTruth(0.811846253982507, 0.0001342424702677352, 20000000, 6),
    ParabolaMixture(n_components=9, sigma=0.5): MonteCarloTruth(0.9178854454991466, 0.0001501920906998733, 20000000, 7),
    ScaleMixture(dim=1, ratio=3.0): MonteCarloTruth(0.046942665047434225, 6.738588714351809e-05, 20000000, 8),
    ScaleMixture(dim=5, ratio=2.0): MonteCarloTruth(0.18513167925226914, 0.00011459809781400076, 20000000, 9),
}


class NotTabulatedError(ValueError):
    """A model setting without a precomputed truth was asked for without ``n_points``."""


def _lookup(model: MixtureModel, n_points: int | None, seed: int) -> MonteCarloTruth:
    if model in PRECOMPUTED:
        return PRECOMPUTED[model]
    if n_points is None:
        listed = ", ".join(repr(m) for m in PRECOMPUTED if type(m) is type(model))
        raise NotTabulatedError(
            f"no precomputed truth for {model!r}; tabulated: {listed or 'none'}. Pass n_points (and seed) to "
            "compute one by Monte Carlo now"
        )
    value, stderr = compute_truth(model, n_points, seed)
    return MonteCarloTruth(value, stderr, int(n_points), int(seed))


def _task(
    model: MixtureModel, truth: MonteCarloTruth, scale: int, task_id: str, params: dict, description: str
) -> Task:
    return Task(
        id=task_id,
        family=FAMILY,
        dim_x=model.dim_x,
        dim_y=model.dim_y,
        mi=max(scale * truth.value, 0.0),
        sampler=model,
        mi_stderr=scale * truth.stderr,
        truth="monte carlo",
        params={**params, "mc_points": truth.n_points, "mc_seed": truth.seed},
        version=VERSION,
        description=description,
    )


# --------------------------------------------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------------------------------------------


def x_mixture(rho: float, *, n_pairs: int = 1, n_points: int | None = None, seed: int = 0) -> Task:
    """The "X" mixture with per-pair correlations ``+-rho`` and ``n_pairs`` independent pairs (``I = n_pairs I_1``).

    ``I_1(rho)`` comes from :data:`PRECOMPUTED`; for another ``rho`` pass ``n_points`` (and ``seed``) to compute
    it now by Monte Carlo.

    Raises:
        ValueError: ``rho`` outside ``(-1, 1)``; ``n_pairs < 1``; ``rho`` not tabulated and no ``n_points``.
    """
    check_real("rho", rho, -1.0, 1.0, low_open=True, high_open=True)
    n_pairs = check_int("n_pairs", n_pairs, 1)
    truth = _lookup(XMixture(abs(float(rho))), n_points, seed)  # +-rho and -+rho: the same law
    pairs_part = "" if n_pairs == 1 else f"-pairs{n_pairs}"
    return _task(
        XMixture(float(rho), n_pairs),
        truth,
        n_pairs,
        f"{FAMILY}-x-rho{format_number(rho)}{pairs_part}",
        {"model": "x", "rho": float(rho), "n_pairs": n_pairs},
        f"{n_pairs} pair(s), each an equal mixture of N(0,1) pairs with correlation +-{rho:g}; zero correlation",
    )


def shells(
    dim: int, n_shells: int, *, sigma_x: float, sigma_y: float, n_points: int | None = None, seed: int = 0
) -> Task:
    """Concentric shells: ``X = R U + sigma_x Z`` in ``R^dim``, ``Y = R + sigma_y E``, ``R ~ U{1..n_shells}``.

    Raises:
        ValueError: ``dim < 1``; ``n_shells < 2``; a sigma not a finite number > 0; setting not tabulated and no
            ``n_points``.
    """
    dim = check_int("dim", dim, 1)
    n_shells = check_int("n_shells", n_shells, 2)
    sigma_x = check_positive("sigma_x", sigma_x)
    sigma_y = check_positive("sigma_y", sigma_y)
    model = ShellsMixture(dim, n_shells, sigma_x, sigma_y)
    return _task(
        model,
        _lookup(model, n_points, seed),
        1,
        f"{FAMILY}-shells-d{dim}-k{n_shells}-sx{format_number(sigma_x)}-sy{format_number(sigma_y)}",
        {"model": "shells", "dim": dim, "n_shells": n_shells, "sigma_x": sigma_x, "sigma_y": sigma_y},
        f"{n_shells} noisy concentric shells in R^{dim} (sd {sigma_x:g}) vs noisy radius (sd {sigma_y:g})",
    )


def parabola_mixture(n_components: int, *, sigma: float, n_points: int | None = None, seed: int = 0) -> Task:
    """``n_components`` Gaussian blobs (sd ``sigma``) centred on the parabola ``y = x^2`` at symmetric ``x``.

    Raises:
        ValueError: ``n_components < 3`` (with 2 the blobs share one ``y``: no dependence); ``sigma`` not a finite
            number > 0; setting not tabulated and no ``n_points``.
    """
    n_components = check_int("n_components", n_components, 3)
    sigma = check_positive("sigma", sigma)
    model = ParabolaMixture(n_components, sigma)
    return _task(
        model,
        _lookup(model, n_points, seed),
        1,
        f"{FAMILY}-parabola-k{n_components}-s{format_number(sigma)}",
        {"model": "parabola", "n_components": n_components, "sigma": sigma},
        f"{n_components} Gaussian blobs (sd {sigma:g}) on the parabola y = x^2; zero correlation",
    )


def scale_mixture(dim: int, *, ratio: float, n_points: int | None = None, seed: int = 0) -> Task:
    """A shared random scale (1 or ``ratio``, probability 1/2 each) for ``X`` and ``Y`` in ``R^dim``.

    Raises:
        ValueError: ``dim < 1``; ``ratio`` not a finite number > 0; setting not tabulated and no ``n_points``.
    """
    dim = check_int("dim", dim, 1)
    ratio = check_positive("ratio", ratio)
    model = ScaleMixture(dim, ratio)
    return _task(
        model,
        _lookup(model, n_points, seed),
        1,
        f"{FAMILY}-scale-d{dim}-a{format_number(ratio)}",
        {"model": "scale", "dim": dim, "ratio": ratio},
        f"X, Y in R^{dim} sharing a random scale (1 or {ratio:g}); zero correlation",
    )


_X_PATTERN = re.compile(r"^mixture-x-rho(?P<rho>-?[0-9.]+)(?:-pairs(?P<pairs>\d+))?$")
_SHELLS_PATTERN = re.compile(r"^mixture-shells-d(?P<d>\d+)-k(?P<k>\d+)-sx(?P<sx>[0-9.]+)-sy(?P<sy>[0-9.]+)$")
_PARABOLA_PATTERN = re.compile(r"^mixture-parabola-k(?P<k>\d+)-s(?P<s>[0-9.]+)$")
_SCALE_PATTERN = re.compile(r"^mixture-scale-d(?P<d>\d+)-a(?P<a>[0-9.]+)$")


def from_id(task_id: str) -> Task | None:
    """Rebuild a mixture task from its id; ``None`` if the id is not of this family's form or its setting has no
    precomputed truth (no Monte Carlo behind a lookup). Impossible parameters raise ``ValueError``."""
    try:
        return _from_id(task_id)
    except NotTabulatedError:
        return None


def _from_id(task_id: str) -> Task | None:
    if match := _X_PATTERN.match(task_id):
        task = x_mixture(float(match["rho"]), n_pairs=int(match["pairs"] or 1))
    elif match := _SHELLS_PATTERN.match(task_id):
        task = shells(int(match["d"]), int(match["k"]), sigma_x=float(match["sx"]), sigma_y=float(match["sy"]))
    elif match := _PARABOLA_PATTERN.match(task_id):
        task = parabola_mixture(int(match["k"]), sigma=float(match["s"]))
    elif match := _SCALE_PATTERN.match(task_id):
        task = scale_mixture(int(match["d"]), ratio=float(match["a"]))
    else:
        return None
    return task if task.id == task_id else None


#: The catalogue's settings (every one has a PRECOMPUTED truth).
X_RHOS = (0.5, 0.9, 0.99)
X_PAIRS = (1, 2, 5)
SHELLS_SETTINGS = ((2, 3, 0.2, 0.3), (5, 4, 0.3, 0.3))
PARABOLA_SETTINGS = ((5, 0.3), (9, 0.5))
SCALE_SETTINGS = ((1, 3.0), (5, 2.0))


def catalogue_tasks() -> Iterator[Task]:
    """The mixture tasks of the named catalogue (stored Monte-Carlo truths; no computation)."""
    for rho in X_RHOS:
        for n_pairs in X_PAIRS:
            yield x_mixture(rho, n_pairs=n_pairs)
    for dim, n_shells, sigma_x, sigma_y in SHELLS_SETTINGS:
        yield shells(dim, n_shells, sigma_x=sigma_x, sigma_y=sigma_y)
    for n_components, sigma in PARABOLA_SETTINGS:
        yield parabola_mixture(n_components, sigma=sigma)
    for dim, ratio in SCALE_SETTINGS:
        yield scale_mixture(dim, ratio=ratio)


def _catalogue_models() -> list[tuple[MixtureModel, int, int]]:
    """``(model, n_points, seed)`` of every truth :data:`PRECOMPUTED` must hold (1e8 points for the single X pair,
    whose standard error is multiplied by up to 5 pairs; 2e7 for the others)."""
    models: list[MixtureModel] = [XMixture(rho) for rho in X_RHOS]
    models += [ShellsMixture(*setting) for setting in SHELLS_SETTINGS]
    models += [ParabolaMixture(*setting) for setting in PARABOLA_SETTINGS]
    models += [ScaleMixture(*setting) for setting in SCALE_SETTINGS]
    return [
        (model, 100_000_000 if isinstance(model, XMixture) else 20_000_000, seed)
        for seed, model in enumerate(models, start=1)
    ]


if __name__ == "__main__":  # maintenance: recompute and print the table of truths (slow)
    for model, n_points, seed in _catalogue_models():
        value, stderr = compute_truth(model, n_points, seed)
        print(f"    {model!r}: MonteCarloTruth({value!r}, {stderr!r}, {n_points}, {seed}),", flush=True)
