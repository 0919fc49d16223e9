"""The report's headline numbers against values computed by hand on small results tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mibench.report.summary import (
    ABS_ERROR,
    LABEL,
    WITHIN,
    Tolerance,
    cell_table,
    efficiency_table,
    rank_estimators,
    summarize,
    summarize_families,
)
from mibench.scoring import score
from tests.rows import result_row

#: (task, family, truth) of the hand-computed example.
TASKS = {"t1": ("fam-a", 1.0), "t2": ("fam-a", 0.0), "t3": ("fam-b", 0.3)}

#: Estimates per (estimator, task, n), one per seed; None is a failed job. The comments give the mean and the
#: verdict under the default tolerance, max(0.1 x truth, 0.05) and a factor 1.5 for a truth above 0.05.
ESTIMATES: dict[tuple[str, str, int], tuple[float | None, ...]] = {
    ("e1", "t1", 100): (1.04, 1.12),  # 1.08: |0.08| <= 0.1 -> within
    ("e1", "t1", 1000): (0.99, 1.01),  # 1.00 -> within
    ("e1", "t2", 100): (0.02, 0.06),  # 0.04: truth 0, |0.04| <= 0.05, no factor test -> within
    ("e1", "t2", 1000): (0.07, 0.09),  # 0.08 > 0.05 -> not within
    ("e1", "t3", 100): (0.40, 0.44),  # 0.42: |0.12| > 0.05 -> not within
    ("e1", "t3", 1000): (0.33, 0.35),  # 0.34: |0.04| <= 0.05, 0.2 <= 0.34 <= 0.45 -> within
    ("e2", "t1", 100): (None, None),  # every seed failed -> not within, no error
    ("e2", "t1", 1000): (1.3, 1.5),  # 1.40 -> not within
    ("e2", "t2", 100): (0.0, 0.02),  # 0.01 -> within
    ("e2", "t2", 1000): (0.01, 0.01),  # 0.01 -> within
    ("e2", "t3", 100): (0.30, 0.32),  # 0.31 -> within
    ("e2", "t3", 1000): (0.29, 0.31),  # 0.30 -> within
}


def _frame(estimates, tasks) -> pd.DataFrame:
    rows = []
    for (estimator, task, n), values in estimates.items():
        family, truth = tasks[task]
        for rep, value in enumerate(values):
            failed = value is None
            rows.append(
                result_row(
                    key=f"{estimator}-{task}-{n}-{rep}",
                    task_id=task,
                    family=family,
                    estimator=estimator,
                    params="{}",
                    params_hash=f"h-{estimator}",
                    n=n,
                    repetition=rep,
                    seed=rep,
                    true_mi=truth,
                    seconds=n / 1000 * (1 + rep),
                    status="error" if failed else "ok",
                    **({} if failed else {"estimate": value}),
                )
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return cell_table(score(_frame(ESTIMATES, TASKS)))


def test_tolerance_rule() -> None:
    rule = Tolerance()
    mean = np.array([1.08, 1.11, 0.04, -0.04, 0.06, 0.125, 0.11, np.nan, np.inf, 5.2])
    truth = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 0.08, 0.08, 1.0, 1.0, 5.0])
    expected = [True, False, True, True, False, False, True, False, False, True]
    assert rule.within(mean, truth).tolist() == expected
    # 0.125 is within the absolute 0.05 of 0.08 but more than 1.5 x 0.08 = 0.12 away: the factor test decides.
    assert Tolerance(factor=2.0).within(np.array([0.125]), np.array([0.08])).tolist() == [True]
    # At or below the absolute floor the factor test does not apply (a ratio to ~0 means nothing).
    assert rule.within(np.array([0.01]), np.array([0.05])).tolist() == [True]
    for bad in ({"rel": -0.1}, {"abs": math.nan}, {"factor": 0.9}):
        with pytest.raises(ValueError, match="tolerance"):
            Tolerance(**bad)
    text = Tolerance().describe()
    assert "max(0.1 × truth, 0.05 nats)" in text and "truth / 1.5 ≤ m ≤ 1.5 × truth" in text and "0 included" in text
    assert "0.0721 bits" in Tolerance().describe(bits=True)


def test_cell_table_adds_the_verdict_and_error(cells: pd.DataFrame) -> None:
    verdict = {(r.estimator, r.task_id, r.n): bool(r.within_tolerance) for r in cells.itertuples()}
    assert verdict == {
        ("e1", "t1", 100): True,
        ("e1", "t1", 1000): True,
        ("e1", "t2", 100): True,
        ("e1", "t2", 1000): False,
        ("e1", "t3", 100): False,
        ("e1", "t3", 1000): True,
        ("e2", "t1", 100): False,
        ("e2", "t1", 1000): False,
        ("e2", "t2", 100): True,
        ("e2", "t2", 1000): True,
        ("e2", "t3", 100): True,
        ("e2", "t3", 1000): True,
    }
    failed = cells[(cells["estimator"] == "e2") & (cells["task_id"] == "t1") & (cells["n"] == 100)]
    assert math.isnan(float(failed[ABS_ERROR].iloc[0]))
    assert set(cells[LABEL]) == {"e1", "e2"}
    assert cells[WITHIN].dtype == bool


def test_estimator_summary_by_hand(cells: pd.DataFrame) -> None:
    summary = summarize(score(_frame(ESTIMATES, TASKS)))
    e1, e2 = summary.estimators
    assert (e1.label, e2.label) == ("e1", "e2")
    assert summary.sizes == (100, 1000)
    assert e1.tasks == 3 and e1.tasks_at == {100: 3, 1000: 3}
    assert e1.share_within == pytest.approx({100: 2 / 3, 1000: 2 / 3})
    assert e1.largest_n == 1000
    assert e1.median_abs_error == pytest.approx(0.04)  # median of |1.00 - 1|, |0.08 - 0|, |0.34 - 0.3|
    assert e1.failure_rate == 0.0
    assert e1.median_seconds == pytest.approx(1.5)  # every cell at n = 1000: seconds 1 and 2, median 1.5
    assert e2.share_within == pytest.approx({100: 2 / 3, 1000: 2 / 3})  # the failed cell counts as not within
    assert e2.median_abs_error == pytest.approx(0.01)  # median of 0.40, 0.01, 0.00
    assert e2.failure_rate == pytest.approx(2 / 12)


def test_families_and_ranking_by_hand(cells: pd.DataFrame) -> None:
    fam_a, fam_b = summarize_families(cells)
    assert (fam_a.family, fam_a.tasks, fam_b.family, fam_b.tasks) == ("fam-a", 2, "fam-b", 1)
    assert [(s.label, s.cells, s.share_within) for s in fam_a.scores] == [("e1", 4, 0.75), ("e2", 4, 0.5)]
    assert fam_a.best.label == "e1"
    assert fam_a.best.median_abs_error == pytest.approx(0.06)  # median of 0.08, 0.00, 0.04, 0.08
    assert fam_b.best.label == "e2" and fam_b.best.share_within == 1.0
    assert fam_b.score_of("e1").share_within == 0.5 and fam_b.score_of("nobody") is None

    ranking = rank_estimators(cells)
    assert [(r.rank, r.label) for r in ranking] == [(1, "e2"), (2, "e1")]
    assert ranking[0].score == pytest.approx((0.5 + 1.0) / 2)
    assert ranking[1].score == pytest.approx((0.75 + 0.5) / 2)
    assert ranking[0].pooled_share == pytest.approx(4 / 6) and ranking[1].pooled_share == pytest.approx(4 / 6)
    assert ranking[0].families == 2


def test_families_weigh_equally_and_that_changes_the_winner() -> None:
    """One family with ten tasks where ``base`` is right, two families of one task where ``other`` is: pooled, base
    wins 10 cells to 2; with families weighted equally, other wins 2/3 to 1/3."""
    tasks = {f"big-{i}": ("big", 1.0) for i in range(10)} | {"small-a": ("a", 1.0), "small-b": ("b", 1.0)}
    estimates: dict[tuple[str, str, int], tuple[float | None, ...]] = {}
    for task, (family, _) in tasks.items():
        base_right = family == "big"
        estimates[("base", task, 500)] = (1.0, 1.0) if base_right else (2.0, 2.0)
        estimates[("other", task, 500)] = (2.0, 2.0) if base_right else (1.0, 1.0)
    cells = cell_table(score(_frame(estimates, tasks)))
    pooled = cells.groupby(LABEL)[WITHIN].mean()
    assert pooled["base"] == pytest.approx(10 / 12) and pooled["other"] == pytest.approx(2 / 12)
    first, second = rank_estimators(cells)
    assert first.label == "other" and first.score == pytest.approx(2 / 3)
    assert second.label == "base" and second.score == pytest.approx(1 / 3)
    assert second.pooled_share > first.pooled_share


def test_best_estimator_ties_go_to_the_smaller_error() -> None:
    tasks = {"t": ("fam", 1.0)}
    estimates = {("a", "t", 100): (1.09, 1.09), ("b", "t", 100): (1.01, 1.01), ("c", "t", 100): (3.0, 3.0)}
    (family,) = summarize_families(cell_table(score(_frame(estimates, tasks))))
    assert [s.label for s in family.scores] == ["b", "a", "c"]


def test_efficiency_by_hand(cells: pd.DataFrame) -> None:
    table = efficiency_table(cells)
    e1 = table[table[LABEL] == "e1"].set_index("task_label")["min_n"]
    assert e1["t1"] == 100 and math.isnan(e1["t2"]) and e1["t3"] == 1000
    summary = summarize(score(_frame(ESTIMATES, TASKS)))
    counts = {e.label: e for e in summary.efficiency_counts}
    assert counts["e1"].reached == {100: 1, 1000: 1} and counts["e1"].never == 1 and counts["e1"].tasks == 3
    # e2: t1 never (failed, then 1.4), t2 and t3 from n = 100.
    assert counts["e2"].reached == {100: 2} and counts["e2"].never == 1


def test_cell_table_rejects_a_results_table() -> None:
    with pytest.raises(ValueError, match="missing required column"):
        cell_table(_frame(ESTIMATES, TASKS))
