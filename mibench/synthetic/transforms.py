"""Injective maps applied to one variable of a task: mutual information is unchanged, the marginals are not.

Why: an estimator that is only right on Gaussians is not a good estimator. Mutual information is invariant
under injective measurable maps of ``x`` alone or of ``y`` alone, ``I(f(X); g(Y)) = I(X; Y)``: the
data-processing inequality (Cover & Thomas, *Elements of Information Theory*, 2nd ed., theorem 2.8.1) applied to
``f`` and to its inverse gives both inequalities (Kraskov, Stoegbauer & Grassberger 2004, Phys. Rev. E 69,
066138, state it for homeomorphisms). So pushing a task with a closed-form truth through such maps gives new
tasks with the *same* truth and much harder marginals: uniform, heavy-tailed, bimodal, curled up into a spiral
or a Swiss roll. This is the construction of Czyz, Grabowski, Vogt, Beerenwinkel & Marx, "Beyond Normal: On the
Evaluation of Mutual Information Estimators" (NeurIPS 2023), whose maps are implemented here with the formulas
and parameters of their public code (the ``bmi`` package, github.com/cbg-ethz/bmi). Names (used in task ids):

- ``normal_cdf``: ``Phi(t)`` coordinate-wise (uniform marginals); any dimension.
- ``half_cube``: ``t sqrt(|t|)`` coordinate-wise (heavier tails); ``power{p}``: ``sign(t) |t|^p``, ``p > 0``.
- ``asinh``: ``arcsinh(t)`` coordinate-wise (lighter tails).
- ``wiggly``: the fixed 1-D maps ``f_x`` / ``f_y`` of bmi, coordinate-wise.
- ``bimodal``: ``F^{-1}(Phi(t))`` coordinate-wise, ``F`` a two-component Gaussian-mixture CDF.
- ``spiral``: ``x -> exp(s A |x|^2) x``, ``A`` the rotation generator of a coordinate plane; ``d >= 2``
  (``d >= 3`` on y, where bmi's plane is ``(1, 2)``).
- ``swissroll``: ``u -> (t cos t, t sin t) / 21``, ``t = 1.5 pi (1 + 2u)``, ``u in [0, 1]``; ``d == 1`` -> 2.
- ``rotation-s{seed}``: a fixed Haar-random orthogonal matrix; ``affine-s{seed}``: a fixed random invertible
  matrix (singular values in [0.5, 2]) plus a shift; any dimension.

Every map is a frozen dataclass (picklable, hashable, comparable), has an explicit :meth:`Transform.inverse`
(which is how the tests prove injectivity) and never draws random numbers: the random matrices come from
``numpy.random.default_rng(seed)`` with the integer seed stored in the transform.

Side-dependent defaults. bmi uses a different variant of some maps on each variable (wiggly: ``f_x`` on x and
``f_y`` on y; bimodal: two different mixtures; spiral: the rotation plane ``(0, 1)`` on x and ``(1, 2)`` on y).
Such a transform built with its defaults (``Wiggly()``, ``Bimodal()``, ``Spiral()``) is *side-aware*:
:meth:`Transform.for_side` returns the concrete map for ``"x"`` or ``"y"`` (``transform_task`` does this), and
:meth:`Transform.label` gives the short name used in task ids, which omits the variant when it is the side's
default. Called directly, outside a task, a side-aware transform behaves as its x variant.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from scipy import special

from mibench.synthetic.naming import format_number
from mibench.validation import check_int, check_positive

__all__ = [
    "LABEL_PATTERN",
    "Affine",
    "Asinh",
    "Bimodal",
    "HalfCube",
    "NormalCDF",
    "Rotation",
    "SignedPower",
    "Spiral",
    "SwissRoll",
    "Transform",
    "Wiggly",
    "parse_label",
]

SIDES = ("x", "y")


def _check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"side must be 'x' or 'y', got {side!r}")
    return side


def _as_matrix(a: Any, what: str) -> np.ndarray:
    """``a`` as a 2-D float64 array (1-D input becomes one column); never modifies the input."""
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{what}: input must be numeric, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{what}: input must be real, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise ValueError(f"{what}: input must be a 1-D or 2-D array of shape (n,) or (n, d), got shape {arr.shape}")
    return arr.astype(np.float64, copy=False)


def _check_seed(seed: Any, what: str) -> None:
    check_int(f"{what}: seed", seed, 0)


# --------------------------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transform:
    """An injective map applied row-wise to an ``(n, d)`` sample of one variable.

    Subclasses are frozen dataclasses that implement :attr:`name`, ``_apply`` and ``_inverse`` and, when the map
    does not apply to every dimension, :meth:`check_dim` (and :meth:`out_dim` when it changes the dimension).

    Attributes:
        version: changes whenever the map's formula or implementation changes (it is part of the version of
            every task built with the map, so stored results of an older map are never mixed with newer ones).
    """

    version: ClassVar[str] = "1"

    @property
    def name(self) -> str:
        """Short, id-safe name of this map, independent of the side it is applied to."""
        raise NotImplementedError

    def label(self, side: str) -> str:
        """The name used in the id of a task that applies this map to ``side`` (``"x"`` or ``"y"``).

        Equals :attr:`name` except for side-aware maps, whose label omits the variant when it is the default
        for that side (so ``Wiggly()``, ``Wiggly("x")`` on x, and ``Wiggly("y")`` on y are all ``"wiggly"``).
        """
        return self.for_side(side).name

    def for_side(self, side: str) -> Transform:
        """The concrete map to apply to ``side``; ``self`` unless the map has side-dependent defaults."""
        _check_side(side)
        return self

    def check_dim(self, in_dim: int) -> None:
        """Raise ``ValueError`` (naming the map and the dimension) if the map does not apply to ``in_dim``."""
        check_int(f"transform {self.name!r}: input dimension", in_dim)

    def out_dim(self, in_dim: int) -> int:
        """The output dimension for inputs of dimension ``in_dim`` (checked with :meth:`check_dim`)."""
        self.check_dim(in_dim)
        return int(in_dim)

    def __call__(self, a: np.ndarray) -> np.ndarray:
        """Apply the map to each row of ``a`` (shape ``(n, d)``; 1-D input is one column). Returns float64
        ``(n, out_dim(d))``; the input is never modified."""
        arr = _as_matrix(a, f"transform {self.name!r}")
        self.check_dim(arr.shape[1])
        return self._apply(arr)

    def inverse(self, b: np.ndarray) -> np.ndarray:
        """The inverse map on the image: ``inverse(self(a)) == a`` up to rounding. Proves injectivity."""
        arr = _as_matrix(b, f"inverse of transform {self.name!r}")
        return self._inverse(arr)

    def _apply(self, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """A JSON-able description: class name, parameters, version (stored in the params of transformed tasks)."""
        out: dict[str, Any] = {"class": type(self).__name__, "version": self.version}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


# --------------------------------------------------------------------------------------------------------------
# A vectorised safeguarded Newton solver for strictly increasing 1-D functions
# --------------------------------------------------------------------------------------------------------------


def _solve_increasing(func_and_deriv, target, lo, hi, *, rtol: float = 1e-13, max_iter: int = 200) -> np.ndarray:
    """Solve ``func(x) = target`` elementwise for a strictly increasing ``func`` with the root in ``[lo, hi]``.

    Newton steps, falling back to bisection whenever a step leaves the current bracket (which shrinks at every
    iteration), so convergence is guaranteed; quadratic once close. Stops per element when the step or the
    bracket is below ``rtol * max(1, |x|)``. ``func_and_deriv(x)`` returns ``(func(x), func'(x))``.
    """
    target = np.asarray(target, dtype=np.float64).ravel()
    lo = np.asarray(lo, dtype=np.float64).ravel().copy()
    hi = np.asarray(hi, dtype=np.float64).ravel().copy()
    x = 0.5 * (lo + hi)
    active = np.arange(x.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        xa, la, ha = x[active], lo[active], hi[active]
        value, deriv = func_and_deriv(xa)
        residual = value - target[active]
        below = residual < 0
        la = np.where(below, xa, la)
        ha = np.where(below, ha, xa)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = residual / deriv
        newton = xa - step
        scale = np.maximum(1.0, np.abs(xa))
        small = np.isfinite(step) & (np.abs(step) <= rtol * scale)
        outside = ~np.isfinite(newton) | (newton <= la) | (newton >= ha)
        new = np.where(outside & ~small, 0.5 * (la + ha), newton)
        new = np.where(residual == 0, xa, new)
        new = np.clip(new, la, ha)
        done = small | (residual == 0) | (ha - la <= rtol * scale)
        x[active], lo[active], hi[active] = new, la, ha
        active = active[~done]
    return x


# --------------------------------------------------------------------------------------------------------------
# Coordinate-wise maps
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalCDF(Transform):
    """``t -> Phi(t)`` coordinate-wise, ``Phi`` the standard normal CDF: Gaussian marginals become ``U(0, 1)``.

    Strictly increasing, so injective (inverse ``Phi^{-1}``). bmi's "normal CDF" transform ("uniform margins";
    Czyz et al. 2023). In floating point ``Phi(t)`` rounds to 1 for ``t > 8.3`` (probability ~5e-17 under
    ``N(0, 1)``), the only place where injectivity is lost numerically.
    """

    @property
    def name(self) -> str:
        return "normal_cdf"

    def _apply(self, a: np.ndarray) -> np.ndarray:
        return special.ndtr(a)

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return special.ndtri(b)


@dataclass(frozen=True)
class HalfCube(Transform):
    """``t -> t * sqrt(|t|)`` coordinate-wise: the signed ``|t|^{3/2}``, heavier tails.

    Strictly increasing with inverse ``sign(s) |s|^{2/3}``. bmi's "half-cube" (Czyz et al. 2023), applied
    coordinate-wise as bmi does (its map is an elementwise jnp function vectorised over rows). On ``N(0, 1)``
    the kurtosis becomes ``E|Z|^6 / (E|Z|^3)^2 = 15 / (8 / pi) = 5.89`` (excess 2.89, against 0).
    Same map as ``SignedPower(1.5)``, kept under bmi's name.
    """

    @property
    def name(self) -> str:
        return "half_cube"

    def _apply(self, a: np.ndarray) -> np.ndarray:
        return a * np.sqrt(np.abs(a))

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return np.sign(b) * np.cbrt(b * b)


@dataclass(frozen=True)
class SignedPower(Transform):
    """``t -> sign(t) |t|^p`` coordinate-wise, ``p > 0``: heavier tails for ``p > 1``, lighter for ``p < 1``.

    Strictly increasing (a homeomorphism of the real line), inverse ``sign(s) |s|^{1/p}``. bmi's "power"
    transform (``power_{alpha}``); ``p = 1.5`` is :class:`HalfCube`.
    """

    p: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", check_positive("SignedPower: p", self.p))

    @property
    def name(self) -> str:
        return f"power{format_number(self.p)}"

    def _apply(self, a: np.ndarray) -> np.ndarray:
        return np.sign(a) * np.abs(a) ** self.p

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return np.sign(b) * np.abs(b) ** (1.0 / self.p)


@dataclass(frozen=True)
class Asinh(Transform):
    """``t -> arcsinh(t) = log(t + sqrt(t^2 + 1))`` coordinate-wise: lighter (logarithmic) tails.

    Strictly increasing, inverse ``sinh``. bmi's "asinh" transform (Czyz et al. 2023); it turns heavy-tailed
    Student-t marginals into nearly Gaussian-tailed ones.
    """

    @property
    def name(self) -> str:
        return "asinh"

    def _apply(self, a: np.ndarray) -> np.ndarray:
        return np.arcsinh(a)

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return np.sinh(b)


# Wiggly: (amplitude, frequency, phase) of each sine term, f(t) = t + sum a sin(w t + phi).
_WIGGLY_TERMS = {
    "x": ((0.4, 1.0, 0.0), (0.2, 1.7, 1.0), (0.03, 3.3, -2.5)),
    "y": ((-0.4, 0.4, 0.0), (0.17, 1.3, 3.5), (0.02, 4.3, -2.5)),
}


@dataclass(frozen=True)
class Wiggly(Transform):
    """bmi's fixed "wiggly" 1-D maps, applied coordinate-wise:

        f_x(t) = t + 0.4 sin t + 0.2 sin(1.7 t + 1) + 0.03 sin(3.3 t - 2.5)
        f_y(t) = t - 0.4 sin(0.4 t) + 0.17 sin(1.3 t + 3.5) + 0.02 sin(4.3 t - 2.5)

    (Czyz et al. 2023, the ``bmi`` package). Monotone, hence injective -- the analytic bound on the derivative:

        f_x'(t) = 1 + 0.4 cos t + 0.34 cos(1.7t + 1) + 0.099 cos(3.3t - 2.5) >= 1 - 0.4 - 0.34 - 0.099 = 0.161
        f_y'(t) = 1 - 0.16 cos(0.4t) + 0.221 cos(1.3t + 3.5) + 0.086 cos(4.3t - 2.5) >= 1 - 0.467 = 0.533

    Also ``|f(t) - t| <= 0.63`` (x) and ``<= 0.59`` (y), so ``f`` maps R onto R and the inverse of ``s`` lies in
    ``[s - 0.63, s + 0.63]``, where :meth:`inverse` finds it by safeguarded Newton iteration.

    Args:
        variant: ``"x"`` (``f_x``), ``"y"`` (``f_y``) or ``"auto"`` (the default: ``f_x`` on x and ``f_y`` on y,
            as bmi applies them; called directly it is ``f_x``).
    """

    variant: str = "auto"

    def __post_init__(self) -> None:
        if self.variant not in ("auto", *SIDES):
            raise ValueError(f"Wiggly: variant must be 'auto', 'x' or 'y', got {self.variant!r}")

    @property
    def name(self) -> str:
        return "wiggly" if self.variant == "auto" else f"wiggly_f{self.variant}"

    def for_side(self, side: str) -> Wiggly:
        _check_side(side)
        return Wiggly(side) if self.variant == "auto" else self

    def label(self, side: str) -> str:
        concrete = self.for_side(side)
        return "wiggly" if concrete.variant == side else concrete.name

    @property
    def _terms(self) -> tuple[tuple[float, float, float], ...]:
        return _WIGGLY_TERMS["x" if self.variant == "auto" else self.variant]

    @property
    def max_deviation(self) -> float:
        """``sup |f(t) - t|``: the sum of the sine amplitudes."""
        return float(sum(abs(amp) for amp, _, _ in self._terms))

    @property
    def derivative_lower_bound(self) -> float:
        """The analytic bound ``1 - sum |amplitude * frequency| <= f'(t)`` (0.161 for ``f_x``, 0.533 for ``f_y``)."""
        return 1.0 - float(sum(abs(amp * freq) for amp, freq, _ in self._terms))

    def derivative(self, a: np.ndarray) -> np.ndarray:
        """``f'(t)`` coordinate-wise (analytic)."""
        a = np.asarray(a, dtype=np.float64)
        out = np.ones_like(a)
        for amp, freq, phase in self._terms:
            out += amp * freq * np.cos(freq * a + phase)
        return out

    def _apply(self, a: np.ndarray) -> np.ndarray:
        out = a.copy()
        for amp, freq, phase in self._terms:
            out += amp * np.sin(freq * a + phase)
        return out

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        margin = self.max_deviation + 1e-9 * (1.0 + np.abs(b))

        def func_and_deriv(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return self._apply(t), self.derivative(t)

        return _solve_increasing(func_and_deriv, b, b - margin, b + margin).reshape(b.shape)


# Bimodal: (weights, means) of the unit-variance two-component mixtures of bmi.
_BIMODAL_MIXTURES = {
    "x": ((0.3, 0.7), (0.0, 5.0)),
    "y": ((0.5, 0.5), (-1.0, 3.0)),
}


@dataclass(frozen=True)
class Bimodal(Transform):
    """``t -> F^{-1}(Phi(t))`` coordinate-wise: a ``N(0, 1)`` marginal becomes the bimodal mixture ``F``.

    bmi's bimodal marginals (Czyz et al. 2023): the normal CDF followed by the inverse CDF of

        F_x = 0.3 N(0, 1) + 0.7 N(5, 1)   (variant "x")
        F_y = 0.5 N(-1, 1) + 0.5 N(3, 1)  (variant "y")

    Both steps are strictly increasing, so the map is injective; its inverse is ``Phi^{-1}(F(s))``. The forward
    map solves ``G(s) = t`` for ``G = Phi^{-1} o F`` by safeguarded Newton iteration (``G' = f / phi(G)``) in
    the bracket ``[t + min(means), t + max(means)]`` (the mixture quantile lies between its components'
    quantiles ``m_k + t``), to ~1e-13 relative. ``G`` is evaluated in log space (``log_ndtr`` and
    ``ndtri_exp`` on the lower tail, their mirror images on the upper tail), so the map is accurate and
    finite far into the tails (|t| of hundreds), where ``Phi(t)`` itself would round to 0 or 1.

    Args:
        variant: ``"x"``, ``"y"`` or ``"auto"`` (the default: ``F_x`` on x and ``F_y`` on y, as bmi; called
            directly it is ``F_x``). bmi applies it to its 1 x 1 Gaussian; here it applies coordinate-wise
            in any dimension.
    """

    variant: str = "auto"

    def __post_init__(self) -> None:
        if self.variant not in ("auto", *SIDES):
            raise ValueError(f"Bimodal: variant must be 'auto', 'x' or 'y', got {self.variant!r}")

    @property
    def name(self) -> str:
        return "bimodal" if self.variant == "auto" else f"bimodal_f{self.variant}"

    def for_side(self, side: str) -> Bimodal:
        _check_side(side)
        return Bimodal(side) if self.variant == "auto" else self

    def label(self, side: str) -> str:
        concrete = self.for_side(side)
        return "bimodal" if concrete.variant == side else concrete.name

    @property
    def weights(self) -> tuple[float, ...]:
        return _BIMODAL_MIXTURES["x" if self.variant == "auto" else self.variant][0]

    @property
    def means(self) -> tuple[float, ...]:
        return _BIMODAL_MIXTURES["x" if self.variant == "auto" else self.variant][1]

    def mixture_cdf(self, s: np.ndarray) -> np.ndarray:
        """``F(s) = sum_k w_k Phi(s - m_k)``."""
        s = np.asarray(s, dtype=np.float64)
        return sum(w * special.ndtr(s - m) for w, m in zip(self.weights, self.means, strict=True))

    def mixture_pdf(self, s: np.ndarray) -> np.ndarray:
        """``f(s) = sum_k w_k phi(s - m_k)``."""
        s = np.asarray(s, dtype=np.float64)
        return sum(
            w * np.exp(-0.5 * (s - m) ** 2) / math.sqrt(2 * math.pi)
            for w, m in zip(self.weights, self.means, strict=True)
        )

    def _gaussianise(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``G(s) = Phi^{-1}(F(s))`` and ``G'(s) = f(s) / phi(G(s))``, both in log space."""
        log_w = np.log(np.asarray(self.weights))[:, None]
        means = np.asarray(self.means)[:, None]
        flat = s.ravel()[None, :]
        log_cdf = np.logaddexp.reduce(log_w + special.log_ndtr(flat - means), axis=0)
        log_sf = np.logaddexp.reduce(log_w + special.log_ndtr(means - flat), axis=0)
        # Phi^{-1} from the smaller tail only: ndtri_exp is accurate for log-probabilities up to log(1/2).
        z = special.ndtri_exp(np.minimum(np.minimum(log_cdf, log_sf), 0.0))
        g = np.where(log_cdf <= log_sf, z, -z)
        log_pdf = np.logaddexp.reduce(log_w - 0.5 * (flat - means) ** 2, axis=0)  # the 1/sqrt(2 pi) cancels
        deriv = np.exp(log_pdf + 0.5 * g * g)
        return g.reshape(s.shape), deriv.reshape(s.shape)

    def _apply(self, a: np.ndarray) -> np.ndarray:
        lo = a + min(self.means) - 1e-9 * (1.0 + np.abs(a))
        hi = a + max(self.means) + 1e-9 * (1.0 + np.abs(a))
        return _solve_increasing(self._gaussianise, a, lo, hi).reshape(a.shape)

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return self._gaussianise(b)[0]


# --------------------------------------------------------------------------------------------------------------
# Maps of the whole vector
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spiral(Transform):
    """bmi's spiral diffeomorphism ``x -> exp(s A |x|^2) x`` (Czyz et al. 2023).

    ``A`` is the canonical generator of rotations in the coordinate plane ``(i, j)`` (``A[i, j] = -1``,
    ``A[j, i] = 1``, zero elsewhere), so ``exp(theta A)`` rotates that plane by the angle ``theta`` and leaves
    the other coordinates alone. With ``theta = s |x|^2``:

        x_i' = cos(theta) x_i - sin(theta) x_j,    x_j' = sin(theta) x_i + cos(theta) x_j

    computed exactly (no matrix exponential). The map preserves ``|x|``, so it is inverted by rotating back by
    the same angle, computed from the output: a bijection of R^d.

    bmi's defaults, used here: plane ``(0, 1)`` on x and ``(1, 2)`` on y, speed ``s = 1 / d`` (bmi's
    ``transform_spiral_task`` with ``speed = 1`` and ``normalize_speed = True``, ``d`` the variable's dimension).

    Args:
        plane: the coordinate plane ``(i, j)``, ``0 <= i < j``; ``None`` (default): ``(0, 1)`` on x, ``(1, 2)``
            on y (called directly: ``(0, 1)``). Needs ``d > j``.
        speed: ``s > 0``; ``None`` (default): ``1 / d``.
    """

    plane: tuple[int, int] | None = None
    speed: float | None = None

    def __post_init__(self) -> None:
        if self.plane is not None:
            try:
                i, j = (int(v) for v in self.plane)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"Spiral: plane must be a pair of integers (i, j), got {self.plane!r}") from exc
            if not 0 <= i < j or any(isinstance(v, bool) or int(v) != v for v in self.plane):
                raise ValueError(f"Spiral: plane must be integers 0 <= i < j, got {self.plane!r}")
            object.__setattr__(self, "plane", (i, j))
        if self.speed is not None:
            object.__setattr__(self, "speed", check_positive("Spiral: speed (or None for 1/d)", self.speed))

    @staticmethod
    def default_plane(side: str) -> tuple[int, int]:
        """bmi's rotation plane: ``(0, 1)`` for x, ``(1, 2)`` for y."""
        return (0, 1) if _check_side(side) == "x" else (1, 2)

    def _suffix(self, plane: tuple[int, int] | None) -> str:
        parts = "" if plane is None else f"_p{plane[0]}_{plane[1]}"
        return parts + ("" if self.speed is None else f"_s{format_number(self.speed)}")

    @property
    def name(self) -> str:
        return "spiral" + self._suffix(self.plane)

    def for_side(self, side: str) -> Spiral:
        _check_side(side)
        return self if self.plane is not None else Spiral(self.default_plane(side), self.speed)

    def label(self, side: str) -> str:
        plane = self.for_side(side).plane
        return "spiral" + self._suffix(None if plane == self.default_plane(side) else plane)

    @property
    def _plane(self) -> tuple[int, int]:
        return self.plane if self.plane is not None else (0, 1)

    def check_dim(self, in_dim: int) -> None:
        super().check_dim(in_dim)
        i, j = self._plane
        if in_dim <= j:
            raise ValueError(
                f"transform {self.name!r} rotates the coordinate plane ({i}, {j}) and needs an input dimension "
                f">= {j + 1}, got dimension {in_dim}"
            )

    def angle(self, a: np.ndarray) -> np.ndarray:
        """The rotation angle ``s |x|^2`` of each row (unchanged by the map, which preserves the norm)."""
        speed = self.speed if self.speed is not None else 1.0 / a.shape[1]
        return speed * np.einsum("ij,ij->i", a, a)

    def _rotate(self, a: np.ndarray, theta: np.ndarray) -> np.ndarray:
        i, j = self._plane
        cos, sin = np.cos(theta), np.sin(theta)
        out = a.copy()
        out[:, i] = cos * a[:, i] - sin * a[:, j]
        out[:, j] = sin * a[:, i] + cos * a[:, j]
        return out

    def _apply(self, a: np.ndarray) -> np.ndarray:
        return self._rotate(a, self.angle(a))

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        self.check_dim(b.shape[1])
        return self._rotate(b, -self.angle(b))


@dataclass(frozen=True)
class SwissRoll(Transform):
    """bmi's Swiss-roll embedding of a 1-D variable ``u in [0, 1]`` into the plane (Czyz et al. 2023):

        t = 1.5 pi (1 + 2u),    u -> (t cos t, t sin t) / 21

    Apply it after :class:`NormalCDF` (bmi rolls ``Phi(x)`` of its 1 x 1 Gaussian, on x only). Injective:
    ``t >= 1.5 pi > 0`` is the distance from the origin times 21, so ``u = (21 |out| / (1.5 pi) - 1) / 2``.
    Needs input dimension 1 and values in ``[0, 1]`` (outside it, negative ``t`` would break injectivity);
    the output has dimension 2.
    """

    @property
    def name(self) -> str:
        return "swissroll"

    def check_dim(self, in_dim: int) -> None:
        super().check_dim(in_dim)
        if in_dim != 1:
            raise ValueError(
                f"transform {self.name!r} embeds a 1-D variable in the plane and needs input dimension 1, "
                f"got dimension {in_dim}"
            )

    def out_dim(self, in_dim: int) -> int:
        self.check_dim(in_dim)
        return 2

    def _apply(self, a: np.ndarray) -> np.ndarray:
        if a.size and not (np.min(a) >= 0.0 and np.max(a) <= 1.0):
            raise ValueError(
                f"transform {self.name!r} needs values in [0, 1] (apply normal_cdf first), "
                f"got values in [{np.min(a)}, {np.max(a)}]"
            )
        t = 1.5 * np.pi * (1.0 + 2.0 * a[:, 0])
        return np.column_stack([t * np.cos(t), t * np.sin(t)]) / 21.0

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        if b.shape[1] != 2:
            raise ValueError(f"inverse of transform {self.name!r} needs 2 columns, got {b.shape[1]}")
        t = 21.0 * np.hypot(b[:, 0], b[:, 1])
        return ((t / (1.5 * np.pi) - 1.0) / 2.0).reshape(-1, 1)


@lru_cache(maxsize=128)
def _haar_orthogonal(seed: int, dim: int) -> np.ndarray:
    """A Haar-distributed orthogonal matrix: QR of a standard Gaussian matrix with the signs of ``diag(R)``
    moved into ``Q`` (Mezzadri 2007, "How to generate random matrices from the classical compact groups"),
    which makes the factorisation unique and the result exactly Haar. Read-only, cached per (seed, dim)."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    q.setflags(write=False)
    return q


@lru_cache(maxsize=128)
def _well_conditioned_affine(seed: int, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(U, s, V, shift)`` with ``M = U diag(s) V^T``: U, V Haar orthogonal, ``s ~ U[0.5, 2]``, ``shift ~ N(0, I)``,
    all from one ``default_rng(seed)`` stream, in that order. Read-only, cached per (seed, dim)."""
    rng = np.random.default_rng(seed)
    factors = []
    for _ in range(2):
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        factors.append(q * np.where(np.diag(r) < 0, -1.0, 1.0))
    s = rng.uniform(0.5, 2.0, size=dim)
    shift = rng.standard_normal(dim)
    out = (factors[0], s, factors[1], shift)
    for arr in out:
        arr.setflags(write=False)
    return out


@dataclass(frozen=True)
class Rotation(Transform):
    """``x -> Q x`` for a fixed Haar-random orthogonal ``d x d`` matrix ``Q`` generated from ``seed``.

    ``Q`` = QR of a ``default_rng(seed)`` Gaussian matrix, sign-corrected (Mezzadri 2007); it depends only on
    ``(seed, d)`` -- the same map on x and on y when the dimensions agree. Orthogonal, so injective with inverse
    ``Q^T``. It mixes the informative coordinates with the rest, which defeats estimators that work on
    coordinates separately; bmi's ``rotate`` uses a fixed rotation too (Czyz et al. 2023).
    """

    seed: int = 0

    def __post_init__(self) -> None:
        _check_seed(self.seed, "Rotation")
        object.__setattr__(self, "seed", int(self.seed))

    @property
    def name(self) -> str:
        return f"rotation-s{self.seed}"

    def matrix(self, dim: int) -> np.ndarray:
        """The orthogonal matrix ``Q`` for dimension ``dim`` (read-only)."""
        self.check_dim(dim)
        return _haar_orthogonal(self.seed, int(dim))

    def _apply(self, a: np.ndarray) -> np.ndarray:
        return a @ self.matrix(a.shape[1]).T

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        return b @ self.matrix(b.shape[1])


@dataclass(frozen=True)
class Affine(Transform):
    """``x -> M x + c`` for a fixed random invertible ``M`` and shift ``c`` generated from ``seed``.

    ``M = U diag(s) V^T`` with ``U``, ``V`` Haar orthogonal and singular values ``s ~ U[0.5, 2]``, so the
    condition number is at most 4 and the inverse ``V diag(1/s) U^T (y - c)`` is accurate; ``c ~ N(0, I)``.
    Depends only on ``(seed, d)``. Invertible, so MI is unchanged (Kraskov et al. 2004).
    """

    seed: int = 0

    def __post_init__(self) -> None:
        _check_seed(self.seed, "Affine")
        object.__setattr__(self, "seed", int(self.seed))

    @property
    def name(self) -> str:
        return f"affine-s{self.seed}"

    def factors(self, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(U, s, V, c)`` for dimension ``dim``: ``M = U diag(s) V^T``, shift ``c`` (read-only arrays)."""
        self.check_dim(dim)
        return _well_conditioned_affine(self.seed, int(dim))

    def matrix(self, dim: int) -> np.ndarray:
        """``M`` for dimension ``dim``."""
        u, s, v, _ = self.factors(dim)
        return (u * s) @ v.T

    def _apply(self, a: np.ndarray) -> np.ndarray:
        u, s, v, shift = self.factors(a.shape[1])
        return ((a @ v) * s) @ u.T + shift

    def _inverse(self, b: np.ndarray) -> np.ndarray:
        u, s, v, shift = self.factors(b.shape[1])
        return (((b - shift) @ u) / s) @ v.T


# --------------------------------------------------------------------------------------------------------------
# Labels back to transforms (for rebuilding transformed tasks from their ids)
# --------------------------------------------------------------------------------------------------------------

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"

#: One alternative per map; a regular expression for any label (used to split transformed task ids).
LABEL_PATTERN = (
    r"(?:normal_cdf|half_cube|asinh|swissroll"
    rf"|power{_NUMBER}"
    r"|wiggly(?:_f[xy])?|bimodal(?:_f[xy])?"
    rf"|spiral(?:_p\d+_\d+)?(?:_s{_NUMBER})?"
    r"|rotation-s\d+|affine-s\d+)"
)

_SIMPLE: dict[str, type[Transform]] = {
    "normal_cdf": NormalCDF,
    "half_cube": HalfCube,
    "asinh": Asinh,
    "swissroll": SwissRoll,
}


def parse_label(label: str, side: str) -> Transform | None:
    """The concrete transform whose :meth:`Transform.label` on ``side`` is ``label``; ``None`` if no map has
    that label. Inverse of ``t.label(side)`` up to side resolution: ``parse_label(t.label(s), s) ==
    t.for_side(s)`` for the maps of this module."""
    _check_side(side)
    if label in _SIMPLE:
        return _SIMPLE[label]()
    if m := re.fullmatch(rf"power({_NUMBER})", label):
        return SignedPower(float(m[1]))
    if m := re.fullmatch(r"(wiggly|bimodal)(?:_f([xy]))?", label):
        cls = Wiggly if m[1] == "wiggly" else Bimodal
        return cls(m[2] or side)
    if m := re.fullmatch(rf"spiral(?:_p(\d+)_(\d+))?(?:_s({_NUMBER}))?", label):
        plane = (int(m[1]), int(m[2])) if m[1] is not None else Spiral.default_plane(side)
        if plane[0] >= plane[1]:
            return None
        speed = float(m[3]) if m[3] is not None else None
        return Spiral(plane, speed)
    if m := re.fullmatch(r"(rotation|affine)-s(\d+)", label):
        return (Rotation if m[1] == "rotation" else Affine)(int(m[2]))
    return None
