"""Multivariate Student-t tasks: heavy tails with a closed-form MI (bmi's ``student-identity`` family and more).

``(X, Y) = Z / sqrt(W / nu)`` with ``Z ~ N(0, S)`` (``S`` the dispersion matrix, unit diagonal here) and one
``W ~ chi2(nu)`` per sample shared by ``X`` and ``Y``: the joint law is the multivariate t with ``nu`` degrees of
freedom and dispersion ``S``, and its marginals are t with the same ``nu`` and the sub-dispersions.

The differential entropy of a ``k``-dimensional t with dispersion ``S`` is ``h_k(nu) + 1/2 log det S`` with
(Arellano-Valle, Contreras-Reyes & Genton, "Shannon entropy and mutual information for multivariate
skew-elliptical distributions", Scand. J. Statist. 40 (2013), eq. (7))

    h_k(nu) = -log Gamma((nu+k)/2) + log Gamma(nu/2) + (k/2) log(nu pi)
              + ((nu+k)/2) [psi((nu+k)/2) - psi(nu/2)],

so ``I = h(X) + h(Y) - h(X, Y)`` splits into the Gaussian MI of the dispersion plus a correction that depends
only on ``nu`` and the dimensions (the paper's final MI formula has a slip; the entropies are right, as bmi notes):

    I(X; Y) = 1/2 log(det S_xx det S_yy / det S) + c(nu, m, n),    c = h_m + h_n - h_{m+n} > 0   [nats]

``c`` is positive for finite ``nu`` (the shared ``W`` makes even uncorrelated ``X`` and ``Y`` dependent) and falls
to 0 as ``nu -> infinity``, to leading order like ``m n / (2 nu^2)`` (checked numerically in the tests). The
``(k/2) log(nu pi)`` terms cancel exactly in ``c`` and are left out; what remains still cancels in float64 for very
large ``nu``, hence the cap ``nu <= 1e4`` (there the t is within ``1e-5`` nats of a Gaussian: use
``gaussian_pairs``).

Dispersions: the identity (bmi's tasks), or ``n_pairs`` correlated pairs ``S[x_i, y_i] = rho`` as in
``gaussian_pairs``, parameterised by ``rho``, by the Gaussian MI of the dispersion ``dispersion_mi``, or by the
total MI ``mi`` (Gaussian part plus ``c``, solved in closed form; a target below ``c`` is unreachable).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import special

from mibench.interface import Task
from mibench.synthetic.naming import format_number
from mibench.validation import check_int

FAMILY = "student-t"
VERSION = "1"

#: Valid degrees of freedom: below 0.5 the chi-square draw can underflow to 0 (an infinite sample); above 1e4 the
#: correction is below 1e-5 nats and lost to float64 cancellation.
NU_MIN, NU_MAX = 0.5, 1e4

ID_PATTERN = re.compile(
    r"^student-(?:(?P<identity>identity)|pairs)-(?P<dx>\d+)x(?P<dy>\d+)(?:-k(?P<k>\d+))?-nu(?P<nu>[0-9.]+)"
    r"(?:-(?P<kind>rho|mi|dmi)(?P<value>[-+0-9.e]+))?$"
)


@dataclass(frozen=True)
class StudentTSampler:
    """Picklable sampler: Gaussian pairs ``Z`` (as ``gaussian_pairs``) divided by one ``sqrt(W / nu)`` per row.

    Draw order: ``z_x`` (n, dim_x), ``z_y`` (n, dim_y), then ``W`` (n,). ``n_pairs = 0`` is the identity dispersion.
    """

    dim_x: int
    dim_y: int
    n_pairs: int
    rho: float
    noise_scale: float  # sqrt(1 - rho^2), passed separately for accuracy at |rho| -> 1
    nu: float

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, self.dim_x))
        y = rng.standard_normal((n, self.dim_y))
        k = self.n_pairs
        y[:, :k] = self.rho * x[:, :k] + self.noise_scale * y[:, :k]
        w = rng.chisquare(self.nu, n)
        scale = np.sqrt(self.nu / w)[:, None]
        return x * scale, y * scale


def entropy_term(k: int, nu: float) -> float:
    """``h_k(nu) - (k/2) log(nu pi)``: the identity-dispersion t entropy without its log(nu pi) term (nats)."""
    half = 0.5 * (nu + k)
    return float(
        -special.gammaln(half) + special.gammaln(0.5 * nu) + half * (special.digamma(half) - special.digamma(0.5 * nu))
    )


def correction(nu: float, dim_x: int, dim_y: int) -> float:
    """``c(nu, m, n) = h_m + h_n - h_{m+n}``: the Student-t MI beyond the Gaussian MI of the dispersion (nats)."""
    return entropy_term(dim_x, nu) + entropy_term(dim_y, nu) - entropy_term(dim_x + dim_y, nu)


def _is_real(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def student_t(
    dim_x: int,
    dim_y: int,
    *,
    nu: float,
    rho: float | None = None,
    mi: float | None = None,
    dispersion_mi: float | None = None,
    n_pairs: int | None = None,
) -> Task:
    """A multivariate Student-t task with ``nu`` degrees of freedom.

    With none of ``rho``, ``mi``, ``dispersion_mi``: identity dispersion (MI = the correction ``c`` alone).
    Otherwise give exactly one, for ``n_pairs`` (default ``min(dim_x, dim_y)``) correlated dispersion pairs:

    * ``rho``: the dispersion correlation of each pair, in (-1, 1);
    * ``dispersion_mi``: the Gaussian MI of the dispersion in nats (>= 0); the task's MI is that plus ``c``;
    * ``mi``: the task's total MI in nats, at least ``c(nu, dim_x, dim_y)`` (reached at ``rho = 0``).

    ``nu`` must be in [0.5, 1e4].
    """
    dx = check_int("dim_x", dim_x, 1)
    dy = check_int("dim_y", dim_y, 1)
    if not (_is_real(nu) and NU_MIN <= nu <= NU_MAX):
        raise ValueError(f"nu (degrees of freedom) must be a number in [{NU_MIN}, {NU_MAX:g}], got {nu!r}")
    nu = float(nu)
    c = correction(nu, dx, dy)
    given = {key: value for key, value in (("rho", rho), ("mi", mi), ("dmi", dispersion_mi)) if value is not None}
    if len(given) > 1:
        raise ValueError("give at most one of rho, mi (total MI) or dispersion_mi (Gaussian MI of the dispersion)")
    if not given:
        if n_pairs is not None:
            raise ValueError("n_pairs applies only to a pairs dispersion: give rho, mi or dispersion_mi with it")
        return Task(
            id=f"student-identity-{dx}x{dy}-nu{format_number(nu)}",
            family=FAMILY,
            dim_x=dx,
            dim_y=dy,
            mi=c,
            sampler=StudentTSampler(dx, dy, 0, 0.0, 1.0, nu),
            truth="closed form",
            params={"dim_x": dx, "dim_y": dy, "nu": nu, "dispersion": "identity", "n_pairs": 0, "rho": 0.0},
            version=VERSION,
            description=f"Student-t, identity dispersion, nu={nu:g}",
        )
    k = min(dx, dy) if n_pairs is None else n_pairs
    k = check_int(f"n_pairs (for dim_x={dx}, dim_y={dy})", k, 1, min(dx, dy))
    ((kind, value),) = given.items()
    if kind == "rho":
        if not (_is_real(value) and -1.0 < value < 1.0):
            raise ValueError(f"rho must be in the open interval (-1, 1), got {value!r}")
        rho_f = float(value)
        noise_scale = math.sqrt((1.0 - rho_f) * (1.0 + rho_f))
        truth = -0.5 * k * math.log1p(-rho_f * rho_f) + c
    else:
        if not (_is_real(value) and math.isfinite(value)):
            name = "mi" if kind == "mi" else "dispersion_mi"
            raise ValueError(f"{name} must be a finite number in nats, got {value!r}")
        if kind == "dmi":
            if value < 0:
                raise ValueError(f"dispersion_mi must be >= 0 nats, got {value!r}")
            gaussian_part = float(value)
            truth = gaussian_part + c
        else:
            if value < c:
                raise ValueError(
                    f"mi={value!r} nats is unreachable for a {dx}x{dy} Student-t with nu={nu:g}: the smallest MI is "
                    f"the correction c = {c:.6g} nats (rho = 0); valid range [{c:.6g}, inf)"
                )
            gaussian_part = float(value) - c
            truth = float(value)
        noise_scale = math.exp(-gaussian_part / k)
        rho_f = math.sqrt(-math.expm1(-2.0 * gaussian_part / k))
    k_part = "" if k == min(dx, dy) else f"-k{k}"
    return Task(
        id=f"student-pairs-{dx}x{dy}{k_part}-nu{format_number(nu)}-{kind}{format_number(float(value))}",
        family=FAMILY,
        dim_x=dx,
        dim_y=dy,
        mi=truth,
        sampler=StudentTSampler(dx, dy, k, rho_f, noise_scale, nu),
        truth="closed form",
        params={"dim_x": dx, "dim_y": dy, "nu": nu, "dispersion": "pairs", "n_pairs": k, "rho": rho_f},
        version=VERSION,
        description=f"Student-t, {k} dispersion pair(s) rho={rho_f:.4g}, nu={nu:g}",
    )


def from_id(task_id: str) -> Task | None:
    """Rebuild a Student-t task from its id (any dimensions and levels); ``None`` if the id is not of this form.

    An id of this form with impossible parameters raises the factory's ValueError (as ``gaussian.from_id``)."""
    match = ID_PATTERN.match(task_id)
    if match is None or (match["identity"] is None) == (match["kind"] is None) or (match["identity"] and match["k"]):
        return None
    kwargs: dict = {}
    if match["kind"] is not None:
        keyword = {"rho": "rho", "mi": "mi", "dmi": "dispersion_mi"}[match["kind"]]
        kwargs[keyword] = float(match["value"])
    if match["k"]:
        kwargs["n_pairs"] = int(match["k"])
    task = student_t(int(match["dx"]), int(match["dy"]), nu=float(match["nu"]), **kwargs)
    return task if task.id == task_id else None


#: bmi's ``student-identity-{d}-{d}-{nu}`` tasks.
BMI_IDENTITY = ((1, 1, 1), (2, 2, 1), (2, 2, 2), (3, 3, 2), (3, 3, 3), (5, 5, 2), (5, 5, 3))
TAIL_SWEEP_NU = (1, 2, 3, 5, 10, 30)
DIM_SWEEP = (1, 2, 5, 10, 25)


def catalogue_tasks() -> Iterator[Task]:
    """bmi's identity tasks, a tail sweep over nu at 2x2, and a dimension sweep at nu = 3 (dispersion MI 1 nat)."""
    seen: set[str] = set()

    def once(task: Task) -> Iterator[Task]:
        if task.id not in seen:  # the 2x2 nu=3 task is in both sweeps
            seen.add(task.id)
            yield task

    for dx, dy, nu in BMI_IDENTITY:
        yield from once(student_t(dx, dy, nu=nu))
    for nu in TAIL_SWEEP_NU:
        yield from once(student_t(2, 2, nu=nu, dispersion_mi=1.0))
    for dim in DIM_SWEEP:
        yield from once(student_t(dim, dim, nu=3, dispersion_mi=1.0))
