"""Additive uniform noise: ``X ~ U(0, 1)``, ``Y = X + N`` with ``N ~ U(-epsilon, epsilon)`` independent of ``X``.

A 1-D task whose joint law has no density on most of the plane (support a band), bmi's ``1v1-additive-{epsilon}``
(Czyż et al., "Beyond Normal", NeurIPS 2023). Since ``h(Y | X) = h(N) = log(2 epsilon)`` (Cover & Thomas,
*Elements of Information Theory*, 2nd ed., Example 8.1.1 for the uniform entropy; ``I = h(Y) - h(Y | X)``, Sec. 8.5),
``I = h(Y) - log(2 epsilon)`` where ``Y`` has the trapezoidal density ``p(y) = |[0, 1] ∩ [y - e, y + e]| / (2 e)``:

* ``epsilon <= 1/2``: two linear ramps of width ``2 e`` rising to 1 around a plateau at 1 (which adds nothing to the
  entropy); each ramp contributes ``-∫_0^{2e} (t/2e) log(t/2e) dt = e/2``, so ``h(Y) = e`` and
  ``I = epsilon - log(2 epsilon)``.
* ``epsilon > 1/2``: ramps of width 1 up to ``1/(2e)`` around a plateau of width ``2e - 1``; ``h(Y) = 1/(4e) +
  log(2e)``, so ``I = 1/(4 epsilon)``.

Both give ``1/2`` at ``epsilon = 1/2`` (checks: ``epsilon = 0.1 -> 1.709438``, ``0.75 -> 1/3`` nats, bmi's values).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mibench.interface import Task
from mibench.synthetic.naming import format_number
from mibench.validation import check_positive

FAMILY = "additive-uniform"
VERSION = "1"

ID_PATTERN = re.compile(r"^additive-uniform-eps(?P<eps>[0-9.]+)$")


@dataclass(frozen=True)
class AdditiveUniformSampler:
    """Picklable sampler: ``x = U(0, 1)``, then ``n = U(-epsilon, epsilon)``, ``y = x + n`` (in that draw order)."""

    epsilon: float

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.random((n, 1))
        noise = rng.uniform(-self.epsilon, self.epsilon, size=(n, 1))
        return x, x + noise


def additive_uniform_mi(epsilon: float) -> float:
    """``epsilon - log(2 epsilon)`` for ``epsilon <= 1/2``, else ``1/(4 epsilon)`` (nats)."""
    return epsilon - math.log(2.0 * epsilon) if epsilon <= 0.5 else 0.25 / epsilon


def additive_uniform(epsilon: float) -> Task:
    """``Y = X + N``, ``X ~ U(0, 1)``, ``N ~ U(-epsilon, epsilon)``; ``epsilon`` a finite number > 0."""
    eps = check_positive("epsilon (noise half-width)", epsilon)
    return Task(
        id=f"{FAMILY}-eps{format_number(eps)}",
        family=FAMILY,
        dim_x=1,
        dim_y=1,
        mi=additive_uniform_mi(eps),
        sampler=AdditiveUniformSampler(eps),
        truth="closed form",
        params={"epsilon": eps},
        version=VERSION,
        description=f"Y = X + U(-{eps:g}, {eps:g}), X ~ U(0, 1)",
    )


def from_id(task_id: str) -> Task | None:
    """Rebuild a task from its id (any epsilon); ``None`` if the id is not of this form."""
    match = ID_PATTERN.match(task_id)
    if match is None:
        return None
    task = additive_uniform(float(match["eps"]))
    return task if task.id == task_id else None


CATALOGUE_EPSILON = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0)


def catalogue_tasks() -> Iterator[Task]:
    """Noise half-widths from 0.01 (MI 3.92 nats) to 2 (0.125 nats), including bmi's 0.1 and 0.75."""
    for epsilon in CATALOGUE_EPSILON:
        yield additive_uniform(epsilon)
