"""No built-in estimator allocates O(n^2) memory.

At n = 20 000 one n x n float64 matrix is 3.05 GiB. Each estimator's extra peak resident memory during one call
(:class:`mibench.runner.memory.PeakMemory`, which counts numpy, BLAS and torch allocations alike) must stay
below a tenth of that: a pairwise matrix, or any quadratic intermediate of a few bytes per pair, cannot hide
under that bound, while the blocked kernels' working sets (tens of MiB) sit far below it. This is a memory
bound, not a timing: it does not depend on the machine's load. The figures at n = 100 000 are measured in
``benchmarks/test_memory.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import mibench
from mibench.estimators.registry import BUILTIN_ESTIMATORS, get_estimator, get_estimator_class
from mibench.runner.memory import PeakMemory

N = 20_000
N_BY_N_MIB = N * N * 8 / 2**20
FRACTION = 0.1
#: Neural critics train for a few steps only: memory per step does not depend on the number of steps, and the
#: final held-out evaluation (where an all-pairs score matrix would show) runs in full.
NEURAL_PARAMS = {"max_steps": 50, "eval_every": 25, "seed": 0}
#: Estimators that need hyperparameters the defaults leave open: the channel's noise level, which a channel task
#: supplies in a run (here y is read as the clean values of a channel with that noise).
REQUIRED_PARAMS = {"gaussian-convolution": {"noise_std": 0.5, "seed": 0}}


def _available() -> None:
    """The measurement itself must work here: a missing /proc interface would make the bound vacuous."""
    with PeakMemory() as probe:
        bytearray(8 * 2**20)
    if probe.peak_mb is None:
        pytest.fail("peak memory cannot be measured on this platform (needs Linux /proc/self/clear_refs)")


@pytest.mark.parametrize("name", sorted(BUILTIN_ESTIMATORS))
def test_peak_memory_is_far_below_one_n_by_n_matrix(name: str) -> None:
    _available()
    neural = get_estimator_class(name).tags.requires_torch
    if neural:
        pytest.importorskip("torch")
    estimator = get_estimator(name, **(NEURAL_PARAMS if neural else {}), **REQUIRED_PARAMS.get(name, {}))
    x, y = mibench.get_task("gaussian-pairs-2x2-mi1").sample(N, seed=0)
    estimator.estimate(x[:500], y[:500])  # one-time costs (imports, thread and allocator pools) are not the call's
    with PeakMemory() as memory:
        value = estimator.estimate(x, y)
    assert value == value  # the call completed with a number (NaN would mean it did not really run)
    assert memory.peak_mb is not None
    assert memory.peak_mb < FRACTION * N_BY_N_MIB, f"{name}: {memory.peak_mb:.0f} MiB at n = {N}"


def test_the_bound_catches_a_pairwise_matrix() -> None:
    """The measurement sees a quadratic intermediate: pairwise float32 differences at the same n exceed the bound."""
    _available()
    a = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    with PeakMemory() as memory:
        largest_difference = float(np.subtract.outer(a, a).max())
    assert largest_difference > 0
    assert memory.peak_mb is not None and memory.peak_mb > FRACTION * N_BY_N_MIB
