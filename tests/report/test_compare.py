"""Regression comparison of two runs, or of estimators within one run (mibench.report.compare).

The expectations are derived from the rule (margin m = max(0.02, 0.05 x truth), one-sided paired t-test, Holm),
not tuned: each test says why its numbers land where they do.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mibench.errors import InvalidOptionError, ResultsFileError, StoreError
from mibench.report.compare import (
    CellKey,
    CompareSettings,
    ResultsInput,
    compare,
    compare_files,
    comparison_json,
    comparison_markdown,
    holm,
    load_input,
    sign_flip_p_value,
)
from mibench.runner import ResultsStore
from mibench.runner.environment import describe_environment
from tests.rows import result_row

TRUTH = 1.0  # margin = max(0.02, 0.05 * 1.0) = 0.05 nats
SEEDS = range(5)


def rows(estimator, estimates, *, task="t1", truth=TRUTH, n=100, statuses=None, seconds=0.1, phash=None):
    """One cell's rows: ``estimates[i]`` for seed i (``statuses[i]`` if given)."""
    out = []
    for seed, value in enumerate(estimates):
        status = statuses[seed] if statuses else "ok"
        out.append(
            result_row(
                key=f"{task}|{estimator}|{n}|{seed}",
                task_id=task,
                estimator=estimator,
                params_hash=phash or f"h-{estimator}",
                n=n,
                repetition=seed,
                seed=seed,
                estimate=float(value) if status == "ok" else None,
                true_mi=truth,
                seconds=seconds,
                status=status,
            )
        )
    return out


def frame(*cells) -> ResultsInput:
    return ResultsInput("mem", pd.DataFrame([r for cell in cells for r in cell]), None)


def const(value):
    return [value] * len(SEEDS)


def test_identical_runs_have_no_regressions():
    rng = np.random.default_rng(1)
    base = frame(
        rows("ksg", TRUTH + rng.normal(0, 0.1, 5)),
        rows("det", const(TRUTH + 0.2)),
        rows("ksg", 2.0 + rng.normal(0, 0.1, 5), task="t2", truth=2.0),
    )
    result = compare(base, base)
    assert not result.regressed and len(result.cells) == 3
    assert all(c.mean_diff == 0 and c.rule == "no variance" for c in result.cells)  # d_i = 0 for every seed
    assert not result.new_cells and not result.missing_cells and not result.newly_failing
    assert all(e.time_ratio == 1.0 and not e.regression for e in result.estimators)


def test_a_constant_extra_error_on_deterministic_cells_is_flagged_without_a_test():
    base = frame(rows("det", const(TRUTH + 0.1)), rows("det", const(2.1), task="t2", truth=2.0), rows("ksg", const(1)))
    cur = frame(rows("det", const(TRUTH + 0.6)), rows("det", const(2.6), task="t2", truth=2.0), rows("ksg", const(1)))
    result = compare(base, cur)
    flagged = {(c.key.task_id, c.key.estimator) for c in result.cell_regressions}
    assert flagged == {("t1", "det"), ("t2", "det")}
    for cell in result.cells:
        assert cell.rule == "no variance" and cell.p_value is None and cell.min_detectable is None
    det_t2 = next(c for c in result.cells if c.key.task_id == "t2")
    assert det_t2.margin == pytest.approx(0.1) and det_t2.mean_diff == pytest.approx(0.5)  # 0.05 x 2.0
    assert result.regressed


def test_a_much_worse_noisy_estimator_is_flagged_by_the_t_test():
    rng = np.random.default_rng(2)
    base = frame(rows("mine", TRUTH + rng.normal(0, 0.05, 5)))
    cur = frame(rows("mine", TRUTH + 0.5 + rng.normal(0, 0.05, 5)))
    (cell,) = compare(base, cur).cells
    # d_i ~ 0.5 +- 0.07: t = (0.5 - 0.05) / (0.07 / sqrt 5) ~ 14 with 4 df, p ~ 1e-4 (one cell: Holm = raw).
    assert cell.rule == "t-test" and cell.regression and cell.p_holm == cell.p_value < 0.01
    d_sd = cell.sd_diff
    assert cell.min_detectable == pytest.approx(stats.t.ppf(0.95, 4) * d_sd / math.sqrt(5))


def test_a_small_change_inside_the_margin_is_not_flagged():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.001, 5)
    base = frame(rows("det", const(TRUTH + 0.1)), rows("ksg", TRUTH + 0.1 + noise))
    cur = frame(rows("det", const(TRUTH + 0.13)), rows("ksg", TRUTH + 0.13 + rng.normal(0, 0.001, 5)))
    result = compare(base, cur)
    # mean(d) ~ 0.03 < m = 0.05: the deterministic cell by the no-variance rule, the noisy one by the test (its
    # t statistic is negative, so p > 0.5).
    assert not result.regressed
    noisy = next(c for c in result.cells if c.key.estimator == "ksg")
    assert noisy.rule == "t-test" and noisy.p_value > 0.5


def test_a_seed_failing_only_in_current_is_a_regression():
    base = frame(rows("ksg", const(TRUTH), statuses=["ok", "ok", "error", "ok", "ok"]))
    cur = frame(rows("ksg", const(TRUTH), statuses=["ok", "timeout", "error", "ok", "ok"]))
    result = compare(base, cur)
    (cell,) = result.cells
    assert cell.newly_failed_seeds == (1,) and cell.pairs == 3 and cell.regression  # seed 2 failed in both
    assert result.newly_failing == (cell.key,) and result.regressed
    # the reverse (a seed that recovered) is no regression
    assert not compare(cur, base).regressed


def test_of_two_rows_for_one_seed_the_later_one_counts():
    # e.g. two estimator versions in one store: same cell and seed, different job keys
    old = [dict(r, finished_at="2024-01-01T00:00:00+00:00") for r in rows("ksg", const(TRUTH + 0.9))]
    new = [dict(r, key=r["key"] + "v2", finished_at="2024-02-01T00:00:00+00:00") for r in rows("ksg", const(TRUTH))]
    base = frame(rows("ksg", const(TRUTH)))
    assert not compare(base, frame(new, old)).regressed
    assert compare(base, frame([dict(r, finished_at="2025-01-01T00:00:00+00:00") for r in old], new)).regressed


def test_new_and_missing_cells_are_listed():
    base = frame(rows("ksg", const(TRUTH)), rows("ksg", const(TRUTH), task="old"))
    cur = frame(rows("ksg", const(TRUTH)), rows("ksg", const(TRUTH), task="new"), rows("kde", const(TRUTH)))
    result = compare(base, cur)
    assert [k.task_id for k in result.missing_cells] == ["old"]
    assert sorted((k.task_id, k.estimator) for k in result.new_cells) == [("new", "ksg"), ("t1", "kde")]
    assert not result.regressed  # new and missing cells are listed, not regressions
    md = comparison_markdown(result)
    assert "New cells (only in CURRENT) (2)" in md and "Missing cells (only in BASELINE) (1)" in md


def test_holm_adjusts_like_the_textbook():
    # p sorted 0.01, 0.02, 0.04 of m = 3: 3 x 0.01, max(0.03, 2 x 0.02), max(0.04, 1 x 0.04)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_many_null_noisy_cells_give_no_false_regressions_after_holm():
    rng = np.random.default_rng(4)
    base_cells, cur_cells = [], []
    for i in range(200):  # same distribution in both runs: E[d] = 0 < m
        base_cells.append(rows("ksg", TRUTH + rng.normal(0, 0.1, 5), task=f"t{i}"))
        cur_cells.append(rows("ksg", TRUTH + rng.normal(0, 0.1, 5), task=f"t{i}"))
    result = compare(frame(*base_cells), frame(*cur_cells))
    raw = [c.p_value for c in result.cells]
    assert all(c.rule == "t-test" for c in result.cells)
    assert min(raw) < 0.05  # some cells pass the uncorrected test by chance ...
    assert not result.cell_regressions  # ... none survives Holm's correction
    assert not result.estimator_regressions  # the pooled excess is about -m


def test_pooled_test_finds_a_small_consistent_worsening_the_cells_cannot():
    rng = np.random.default_rng(5)
    base_cells, cur_cells = [], []
    for i in range(30):
        # errors stay positive (0.5 +- 0.1), so d_i = 0.08 + N(0, 0.1): each cell 0.03 above its margin 0.05, with
        # t = 0.03 / (0.1 / sqrt 5) ~ 0.7 (raw one-sided p ~ 0.27): no cell is significant, let alone after Holm
        b = TRUTH + 0.5 + rng.normal(0, 0.1, 5)
        base_cells.append(rows("ksg", b, task=f"t{i}"))
        cur_cells.append(rows("ksg", b + 0.08 + rng.normal(0, 0.1, 5), task=f"t{i}"))
    result = compare(frame(*base_cells), frame(*cur_cells))
    assert not result.cell_regressions
    (pooled,) = result.estimators
    # pooled: 30 cell excesses with mean 0.03 and SD 0.1 / sqrt 5 = 0.045: z = 0.03 / (0.045 / sqrt 30) ~ 3.7,
    # one-sided p ~ 1e-4
    assert pooled.cells == 30 and pooled.regression and pooled.p_holm < 0.01
    assert result.regressed


def test_the_permutation_test_is_exact_when_small_and_seeded_when_large():
    assert sign_flip_p_value([1.0, 1.0, 1.0], 10_000, 0) == pytest.approx(1 / 8)  # only all-plus reaches 1
    assert sign_flip_p_value([-1.0, -1.0], 10_000, 0) == 1.0
    values = np.random.default_rng(6).normal(0.2, 1, 40)  # 2^40 patterns: random flips
    p1, p2 = sign_flip_p_value(values, 2000, 7), sign_flip_p_value(values, 2000, 7)
    assert p1 == p2 and 1 / 2001 <= p1 <= 1
    assert sign_flip_p_value(values, 2000, 8) != p1  # another seed, other flips
    base = frame(*(rows("ksg", const(TRUTH + 0.1), task=f"t{i}") for i in range(30)))
    cur = frame(*(rows("ksg", const(TRUTH + 0.1 + 0.01 * (i % 7)), task=f"t{i}") for i in range(30)))
    settings = CompareSettings(permutations=500, seed=3)
    assert compare(base, cur, settings=settings).estimators == compare(base, cur, settings=settings).estimators


def _store(path, cells, environment=None):
    with ResultsStore(path) as store:
        run_id = store.start_run("test", {}, 1, 1, "0", environment=environment)
        for cell in cells:
            for row in cell:
                store.record({**row, "run_id": run_id})
    return path


def test_time_is_gated_only_with_a_factor_and_the_same_machine(tmp_path):
    env = describe_environment()
    base = _store(tmp_path / "b.sqlite", [rows("ksg", const(TRUTH), seconds=1.0)], env)
    slow = _store(tmp_path / "c.sqlite", [rows("ksg", const(TRUTH), seconds=20.0)], env)
    other = dataclasses.replace(env, cpu_model="another CPU")
    elsewhere = _store(tmp_path / "d.sqlite", [rows("ksg", const(TRUTH), seconds=20.0)], other)
    shown = compare_files(base, slow)
    assert shown.estimators[0].time_ratio == pytest.approx(20) and not shown.regressed and not shown.time_gated
    gated = compare_files(base, slow, settings=CompareSettings(time_factor=10))
    assert gated.time_gated and gated.time_regressions and gated.regressed
    assert not compare_files(base, elsewhere, settings=CompareSettings(time_factor=10)).regressed
    exported = tmp_path / "c.csv"
    ResultsStore(slow, create=False).to_csv(exported)
    from_file = compare_files(base, exported, settings=CompareSettings(time_factor=10))
    assert not from_file.time_gated and not from_file.regressed and "exported results file" in from_file.time_note


def test_a_store_against_its_own_exports(tmp_path):
    rng = np.random.default_rng(8)
    cells = [rows("ksg", TRUTH + rng.normal(0, 0.1, 5)), rows("det", const(TRUTH), statuses=["ok"] * 4 + ["error"])]
    store = _store(tmp_path / "s.sqlite", cells, describe_environment())
    with ResultsStore(store, create=False) as results:
        results.to_csv(tmp_path / "s.csv")
        results.to_json(tmp_path / "s.json")
    for exported in ("s.csv", "s.json"):
        result = compare_files(store, tmp_path / exported)
        assert len(result.cells) == 2 and not result.regressed and not result.new_cells and not result.missing_cells


def test_versus_compares_estimators_within_one_store():
    rng = np.random.default_rng(9)
    noise = rng.normal(0, 0.05, 5)
    store = frame(
        rows("ksg", TRUTH + noise),
        rows("mine", TRUTH + 0.5 + noise[::-1]),  # much worse than ksg
        rows("good", TRUTH + noise),  # the same as ksg
        rows("ksg", const(2.0), task="t2", truth=2.0),  # only ksg: missing for the others
    )
    result = compare(store, versus="ksg")
    verdict = {c.key.estimator: c.regression for c in result.cells}
    assert verdict == {"mine": True, "good": False}
    assert [k.task_id for k in result.missing_cells] == ["t2"]
    assert "worse than ksg" in comparison_markdown(result)
    with pytest.raises(InvalidOptionError, match="not in"):
        compare(store, versus="kde")
    with pytest.raises(InvalidOptionError, match="not both"):
        compare(store, store, versus="ksg")
    with pytest.raises(InvalidOptionError, match="no estimator other than"):
        compare(frame(rows("ksg", const(1))), versus="ksg")


def test_markdown_is_bounded_and_json_is_complete():
    base = frame(*(rows("det", const(TRUTH), task=f"t{i:03d}") for i in range(300)))
    cur = frame(*(rows("det", const(TRUTH + (0.5 if i % 3 == 0 else 0)), task=f"t{i:03d}") for i in range(300)))
    result = compare(base, cur)
    assert len(result.cell_regressions) == 100
    md = comparison_markdown(result, max_rows=20)
    cell_rows = [line for line in md.splitlines() if line.startswith("| `t")]
    assert len(cell_rows) == 20 and all("| regressed |" in line for line in cell_rows)  # regressions first
    assert "Showing 20 of 300 cells (100 flagged)" in md
    github = comparison_markdown(result, max_rows=20, github=True)
    assert github.startswith("**❌ mibench compare: 100 cell(s) regressed") and "<details>" in github
    assert len(comparison_markdown(result, max_rows=10**6).encode()) < 1024 * 1024
    data = json.loads(comparison_json(result))
    assert data["regressed"] is True and len(data["cells"]) == 300
    assert data["cells"][0]["key"] == dataclasses.asdict(CellKey("t000", "1", "det", "h-det", 100))


def test_bad_inputs_are_mibench_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ResultsFileError, match="lacks column"):
        load_input(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ResultsFileError, match="cannot read"):
        load_input(broken)
    with pytest.raises(StoreError):
        load_input(tmp_path / "missing.sqlite")
    with pytest.raises(FileNotFoundError):
        load_input(tmp_path / "missing.csv")
    with pytest.raises(InvalidOptionError, match="alpha"):
        CompareSettings(alpha=1.5)
