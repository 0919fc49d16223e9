"""The score figures: a fixed palette, and every figure drawn or skipped with a reason on small and degenerate
data (smoke-like, one sample size, one estimator, every job failed)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mibench.report.figures import (
    ESTIMATOR_COLOURS,
    FIGURE_FILES,
    HEATMAP_MAX_TASKS,
    bias_rmse_vs_n_figure,
    bias_vs_dimension_figure,
    estimate_vs_truth_figure,
    estimator_colour,
    estimator_palette,
    log_ratio_heatmap_figure,
    log_ratio_table,
    plot_estimate_vs_truth,
    time_exponent,
    time_vs_n_figure,
    write_figures,
)
from mibench.report.summary import cell_table
from mibench.scoring import score
from tests.rows import result_row

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _results(
    tasks: dict[str, tuple[str, float, int]],
    estimators: dict[str, float],
    sizes: tuple[int, ...],
    *,
    seeds: int = 3,
    failed: bool = False,
) -> pd.DataFrame:
    """Jobs for every (task, estimator, n, seed). ``tasks`` maps id -> (family, truth, dimension of x and y);
    ``estimators`` maps name -> relative bias, shrinking as 1/sqrt(n / 100)."""
    rows = []
    for task, (family, truth, dim) in tasks.items():
        for estimator, rel_bias in estimators.items():
            for n in sizes:
                for rep in range(seeds):
                    value = truth * (1 + rel_bias * (100 / n) ** 0.5) + 0.01 * (rep - 1)
                    status = {"status": "error"} if failed else {"estimate": value}
                    rows.append(
                        result_row(
                            key=f"{task}-{estimator}-{n}-{rep}",
                            task_id=task,
                            family=family,
                            dim_x=dim,
                            dim_y=dim,
                            estimator=estimator,
                            params="{}",
                            params_hash=f"h-{estimator}",
                            n=n,
                            repetition=rep,
                            seed=rep,
                            true_mi=truth,
                            seconds=1e-4 * n ** (1.5 if estimator == "ksg" else 1.0),
                            **status,
                        )
                    )
    return pd.DataFrame(rows)


SMOKE_TASKS = {"gauss-1d": ("gaussian", 0.5, 1), "gauss-2d": ("gaussian", 1.0, 2)}
SMOKE_ESTIMATORS = {"ksg": -0.1, "gaussian": 0.02}


def _cells(results: pd.DataFrame) -> pd.DataFrame:
    return cell_table(score(results))


def _draw_all(cells: pd.DataFrame, folder) -> dict[str, object]:
    return {outcome.name: outcome for outcome in write_figures(cells, folder)}


def _assert_drawn(outcome) -> None:
    assert outcome.skipped is None, outcome.skipped
    assert outcome.path.read_bytes().startswith(PNG_SIGNATURE)
    assert outcome.caption and outcome.title


def test_palette_is_fixed_and_deterministic() -> None:
    assert estimator_colour("ksg") == ESTIMATOR_COLOURS["ksg"] == "#1f77b4"
    assert len(set(ESTIMATOR_COLOURS.values())) == len(ESTIMATOR_COLOURS)  # no two built-ins share a colour
    plugin = estimator_colour("my-estimator")
    assert re.fullmatch(r"#[0-9a-f]{6}", plugin)
    assert plugin == estimator_colour("my-estimator") and plugin not in ESTIMATOR_COLOURS.values()
    assert estimator_colour('ksg {"k": 5}') != estimator_colour('ksg {"k": 3}')
    palette = estimator_palette(["kl", "ksg", "kl", "zzz"])
    assert list(palette) == ["kl", "ksg", "zzz"] and palette["kl"] == ESTIMATOR_COLOURS["kl"]


def test_time_exponent_is_the_least_squares_slope() -> None:
    sizes = [100, 1000, 10000]
    assert time_exponent(sizes, [2e-3 * n**1.5 for n in sizes]) == pytest.approx(1.5)
    assert time_exponent([100, 1000], [0.1, float("nan")]) != time_exponent([100, 1000], [0.1, 0.2])
    assert time_exponent([100], [0.1]) != time_exponent([100], [0.1])  # NaN: one point has no slope


def test_smoke_like_data_draws_what_it_supports(tmp_path) -> None:
    """2 tasks, 2 estimators, 2 sample sizes (the smoke suite): one MI level per dimension, so no trend in
    dimension; the other four figures are drawn."""
    outcomes = _draw_all(_cells(_results(SMOKE_TASKS, SMOKE_ESTIMATORS, (100, 1000))), tmp_path)
    assert list(outcomes) == list(FIGURE_FILES)
    for name in ("estimate_vs_truth.png", "bias_rmse_vs_n.png", "log_ratio_heatmap.png", "time_vs_n.png"):
        _assert_drawn(outcomes[name])
    skipped = outcomes["bias_vs_dimension.png"]
    assert skipped.path is None and "no MI level has tasks in two or more dimensions" in skipped.skipped
    assert not (tmp_path / "bias_vs_dimension.png").exists()
    assert "all 2 tasks" in outcomes["log_ratio_heatmap.png"].caption


def test_a_richer_grid_draws_every_figure(tmp_path) -> None:
    tasks = {f"g-{d}d-mi1": ("gaussian", 1.0, d) for d in (1, 2, 5)} | {"mix-1": ("mixture", 0.4, 1)}
    cells = _cells(_results(tasks, {"ksg": -0.2, "kl": 0.1, "plugin-x": 0.6}, (100, 300, 1000)))
    outcomes = _draw_all(cells, tmp_path)
    for outcome in outcomes.values():
        _assert_drawn(outcome)
    assert "n = 1000" in outcomes["bias_vs_dimension.png"].caption
    assert "rounds to 1 nats" in outcomes["bias_vs_dimension.png"].caption
    bits = bias_vs_dimension_figure(cells, tmp_path / "bits.png", bits=True)
    assert "rounds to 1.44 bits" in bits.caption


def test_one_sample_size(tmp_path) -> None:
    outcomes = _draw_all(_cells(_results(SMOKE_TASKS, SMOKE_ESTIMATORS, (500,))), tmp_path)
    _assert_drawn(outcomes["estimate_vs_truth.png"])
    _assert_drawn(outcomes["log_ratio_heatmap.png"])
    assert "one sample size (n = 500)" in outcomes["bias_rmse_vs_n.png"].skipped
    assert "only one sample size (n = 500)" in outcomes["time_vs_n.png"].skipped


def test_a_single_estimator(tmp_path) -> None:
    outcomes = _draw_all(_cells(_results(SMOKE_TASKS, {"ksg": 0.1}, (100, 1000))), tmp_path)
    for name in ("estimate_vs_truth.png", "bias_rmse_vs_n.png", "log_ratio_heatmap.png", "time_vs_n.png"):
        _assert_drawn(outcomes[name])


def test_every_job_failed(tmp_path) -> None:
    cells = _cells(_results(SMOKE_TASKS, SMOKE_ESTIMATORS, (100, 1000), failed=True))
    (tmp_path / "time_vs_n.png").write_bytes(PNG_SIGNATURE)  # left over from an earlier report in this folder
    outcomes = _draw_all(cells, tmp_path)
    for outcome in outcomes.values():
        assert outcome.path is None and outcome.skipped.startswith(("No cell", "Not drawn"))
    assert not list(tmp_path.glob("*.png"))
    with pytest.raises(ValueError, match="no estimate to plot"):
        plot_estimate_vs_truth(_results(SMOKE_TASKS, SMOKE_ESTIMATORS, (100,), failed=True), tmp_path / "x.png")


def test_heatmap_keeps_the_tasks_where_estimators_disagree_most(tmp_path) -> None:
    tasks = {f"task-{i:02d}": ("gaussian", 1.0, 1) for i in range(HEATMAP_MAX_TASKS + 10)}
    results = _results(tasks, {"ksg": 0.0, "kl": 0.0}, (100,), seeds=2)
    # On task-00 .. task-09 kl is far off: those ten must be among the rows kept.
    far = results["estimator"].eq("kl") & results["task_id"].isin([f"task-{i:02d}" for i in range(10)])
    results.loc[far, "estimate"] = 5.0
    cells = _cells(results)
    values, family, total = log_ratio_table(cells)
    assert total == HEATMAP_MAX_TASKS + 10 and len(values) == HEATMAP_MAX_TASKS
    assert {f"task-{i:02d}" for i in range(10)} <= set(values.index)
    assert list(values.index) == sorted(values.index) and set(family) == {"gaussian"}
    assert list(values.columns) == ["kl", "ksg"]
    outcome = log_ratio_heatmap_figure(cells, tmp_path / "heat.png")
    _assert_drawn(outcome)
    assert f"the {HEATMAP_MAX_TASKS} of {HEATMAP_MAX_TASKS + 10} tasks" in outcome.caption


def test_estimate_vs_truth_marks_estimates_off_the_panel(tmp_path) -> None:
    results = _results(SMOKE_TASKS, SMOKE_ESTIMATORS, (100,))
    results.loc[results["estimator"] == "ksg", "estimate"] = 50.0
    _assert_drawn(estimate_vs_truth_figure(_cells(results), tmp_path / "a.png"))
    assert plot_estimate_vs_truth(results, tmp_path / "sub" / "b.png", bits=True) == tmp_path / "sub" / "b.png"


@pytest.mark.parametrize("draw", [bias_rmse_vs_n_figure, time_vs_n_figure])
def test_figures_against_n_need_two_sizes_with_successes(draw, tmp_path) -> None:
    results = _results(SMOKE_TASKS, SMOKE_ESTIMATORS, (100, 1000))
    results.loc[results["n"] == 1000, ["status", "estimate", "error"]] = ["error", None, "boom"]
    outcome = draw(_cells(results), tmp_path / "f.png")
    assert outcome.path is None and "n = 100" in outcome.skipped
