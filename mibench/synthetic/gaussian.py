"""Correlated Gaussian pairs: the simplest closed-form ground truth.

``X ~ N(0, I_{dim_x})``, ``Y ~ N(0, I_{dim_y})`` where the first ``k`` coordinates are paired,
``corr(X_i, Y_i) = rho`` for ``i < k``, and every other coordinate is independent of everything else.
The pairs are independent, so MI adds over them (Cover & Thomas, eq. 8.56 for one pair):

    I(X; Y) = -k/2 * log(1 - rho^2)            [nats]

Parameterised either by ``rho`` or by a target MI ``I`` (then ``rho = sqrt(1 - exp(-2 I / k))``). High MI is
built from independent pairs, never from a near-singular covariance: the sampler uses ``sqrt(1 - rho^2) =
exp(-I / k)`` directly, which stays accurate at 10+ nats where ``1 - rho^2`` would cancel catastrophically.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from mibench.interface import Task
from mibench.synthetic.naming import format_number
from mibench.validation import check_int, check_real

FAMILY = "gaussian-pairs"
VERSION = "1"

ID_PATTERN = re.compile(
    r"^gaussian-pairs-(?P<dx>\d+)x(?P<dy>\d+)(?:-k(?P<k>\d+))?-(?P<kind>rho|mi)(?P<value>[-+0-9.e]+)$"
)


@dataclass(frozen=True)
class GaussianPairsSampler:
    """Picklable sampler: ``y_i = rho x_i + sqrt(1 - rho^2) e_i`` for the first ``n_pairs`` coordinates."""

    dim_x: int
    dim_y: int
    n_pairs: int
    rho: float
    noise_scale: float  # sqrt(1 - rho^2), passed separately for accuracy at |rho| -> 1

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, self.dim_x))
        y = rng.standard_normal((n, self.dim_y))
        k = self.n_pairs
        y[:, :k] = self.rho * x[:, :k] + self.noise_scale * y[:, :k]
        return x, y


def gaussian_pairs(
    dim_x: int,
    dim_y: int,
    *,
    rho: float | None = None,
    mi: float | None = None,
    n_pairs: int | None = None,
) -> Task:
    """A Gaussian task with ``n_pairs`` correlated coordinate pairs (default ``min(dim_x, dim_y)``).

    Give exactly one of ``rho`` (per-pair correlation, in (-1, 1)) or ``mi`` (target MI in nats, >= 0).
    """
    check_int("dim_x", dim_x)
    check_int("dim_y", dim_y)
    k = min(dim_x, dim_y) if n_pairs is None else n_pairs
    check_int(f"n_pairs (for dim_x={dim_x}, dim_y={dim_y})", k, 1, min(dim_x, dim_y))
    if (rho is None) == (mi is None):
        raise ValueError("give exactly one of rho (per-pair correlation) or mi (target MI in nats)")
    if rho is not None:
        check_real("rho", rho, -1.0, 1.0, low_open=True, high_open=True)
        noise_scale = math.sqrt((1.0 - rho) * (1.0 + rho))
        truth = -0.5 * k * math.log1p(-rho * rho)
        kind, value = "rho", rho
    else:
        assert mi is not None
        check_real("mi", mi, 0.0)  # nats
        noise_scale = math.exp(-mi / k)
        rho = math.sqrt(-math.expm1(-2.0 * mi / k))
        truth = float(mi)
        kind, value = "mi", mi
    k_part = "" if k == min(dim_x, dim_y) else f"-k{k}"
    task_id = f"{FAMILY}-{dim_x}x{dim_y}{k_part}-{kind}{format_number(value)}"
    return Task(
        id=task_id,
        family=FAMILY,
        dim_x=int(dim_x),
        dim_y=int(dim_y),
        mi=truth,
        sampler=GaussianPairsSampler(int(dim_x), int(dim_y), int(k), float(rho), float(noise_scale)),
        truth="closed form",
        params={"dim_x": int(dim_x), "dim_y": int(dim_y), "n_pairs": int(k), "rho": float(rho)},
        version=VERSION,
        description=f"{k} correlated Gaussian pair(s), rho={rho:.4g}",
    )


def from_id(task_id: str) -> Task | None:
    """Rebuild a task from its id (any dimensions and levels, not only the catalogue's); ``None`` if the id is
    not of this family's form."""
    match = ID_PATTERN.match(task_id)
    if match is None:
        return None
    value = float(match["value"])
    kwargs = {"rho": value} if match["kind"] == "rho" else {"mi": value}
    n_pairs = int(match["k"]) if match["k"] else None
    task = gaussian_pairs(int(match["dx"]), int(match["dy"]), n_pairs=n_pairs, **kwargs)
    if task.id != task_id:  # e.g. "mi1.0" instead of the canonical "mi1": one id per task
        return None
    return task
