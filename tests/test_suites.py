"""The built-in suites' grids (what runs where), beyond what the runner and suite-file tests cover."""

from __future__ import annotations

from collections import Counter

from mibench.runner import expand
from mibench.suites import STANDARD_CAPPED_N, Suite, get_suite
from mibench.synthetic.highdim import STANDARD_SLICE

HUNDRED_DIM_SWEEP = "gaussian-pairs-100x100-mi1"


def _estimators_at(suite: Suite, task_id: str, n: int) -> Counter[str]:
    return Counter(spec.name for spec in suite.estimators if spec.runs_on(task_id, n))


def test_standard_stops_its_slow_cells_at_the_capped_n_and_runs_the_rest_to_10000():
    suite = get_suite("standard")
    assert max(suite.sample_sizes) == 10000 > STANDARD_CAPPED_N == 3000
    for task_id in STANDARD_SLICE:
        assert _estimators_at(suite, task_id, 10000) == Counter()
        assert set(_estimators_at(suite, task_id, 3000)) == {"ksg", "gaussian", "binning", "kl", "kde", "wkl"}
    # On the 100 x 100 sweep only the k-NN estimators stop early; KDE stops at 3000 everywhere.
    assert set(_estimators_at(suite, HUNDRED_DIM_SWEEP, 10000)) == {"gaussian", "binning", "wkl"}
    assert set(_estimators_at(suite, HUNDRED_DIM_SWEEP, 3000)) == {"ksg", "gaussian", "binning", "kl", "kde", "wkl"}
    # Everywhere else KSG and KL run to n = 10 000.
    assert set(_estimators_at(suite, "gaussian-pairs-50x50-mi1", 10000)) == {"ksg", "gaussian", "binning", "kl", "wkl"}


def test_standard_never_runs_one_estimator_twice_on_a_cell():
    suite = get_suite("standard")
    for task_id in suite.tasks:
        for n in suite.sample_sizes:
            doubled = [name for name, count in _estimators_at(suite, task_id, n).items() if count > 1]
            assert doubled == [], (task_id, n)


def test_selecting_ksg_from_standard_keeps_both_halves_of_its_grid():
    suite = get_suite("standard").select(
        estimators=["ksg"], tasks=[HUNDRED_DIM_SWEEP, "gaussian-pairs-1x1-rho0.75", STANDARD_SLICE[0]]
    )
    jobs = expand(suite)
    keys = [job.key for job in jobs]
    assert len(keys) == len(set(keys))
    sizes = {task_id: sorted({job.n for job in jobs if job.task_id == task_id}) for task_id in suite.tasks}
    assert sizes == {
        HUNDRED_DIM_SWEEP: [100, 300, 1000, 3000],
        "gaussian-pairs-1x1-rho0.75": [100, 300, 1000, 3000, 10000],
        STANDARD_SLICE[0]: [100, 300, 1000, 3000],
    }
