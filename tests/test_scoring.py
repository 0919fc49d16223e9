"""Scores checked exactly against hand computation on small, hand-built results tables."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mibench import scoring
from mibench.scoring import SCORE_COLUMNS, sample_efficiency, score
from tests.rows import result_row


def _job(
    estimate: float,
    *,
    task_id: str = "gauss-1d",
    true_mi: float = 1.0,
    mi_stderr: float = 0.0,
    estimator: str = "ksg",
    params: dict | None = None,
    n: int = 100,
    repetition: int = 0,
    status: str = "ok",
    error: str | None = None,
    seconds: float = 1.0,
    peak_memory_mb: float = float("nan"),
) -> dict:
    params_json = json.dumps(params or {"k": 3}, sort_keys=True)
    return result_row(
        task_id=task_id,
        estimator=estimator,
        params=params_json,
        params_hash=hashlib.sha1(params_json.encode()).hexdigest()[:16],
        n=n,
        repetition=repetition,
        seed=1000 + repetition,
        estimate=estimate if status == "ok" else float("nan"),
        true_mi=true_mi,
        mi_stderr=mi_stderr,
        seconds=seconds,
        peak_memory_mb=peak_memory_mb,
        status=status,
        error=error,
    )


def _results(jobs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(jobs)


def _one(scores: pd.DataFrame) -> pd.Series:
    assert len(scores) == 1
    return scores.iloc[0]


def test_scores_match_hand_computation():
    estimates = [0.9, 1.1, 1.3]
    jobs = [
        _job(e, repetition=i, seconds=s, peak_memory_mb=m)
        for i, (e, s, m) in enumerate(zip(estimates, [2.0, 4.0, 3.0], [10.0, 30.0, 20.0], strict=True))
    ]
    jobs.append(_job(0.0, repetition=3, status="error", error="boom", seconds=0.1))
    jobs.append(_job(0.0, repetition=4, status="timeout", error="timed out", seconds=60.0))
    row = _one(score(_results(jobs)))

    truth = 1.0
    k = 3
    mean = (0.9 + 1.1 + 1.3) / 3
    sd = math.sqrt(((0.9 - mean) ** 2 + (1.1 - mean) ** 2 + (1.3 - mean) ** 2) / (k - 1))
    se = sd / math.sqrt(k)
    tq = stats.t.ppf(0.975, df=k - 1)
    bias = mean - truth

    assert row["n_jobs"] == 5
    assert row["n_ok"] == 3
    assert row["failure_rate"] == pytest.approx(2 / 5)
    assert row["mean"] == pytest.approx(mean, rel=1e-12)
    assert row["bias"] == pytest.approx(bias, rel=1e-12)
    assert row["sd"] == pytest.approx(0.2, rel=1e-12)
    assert row["sd"] == pytest.approx(sd, rel=1e-12)
    assert row["se_bias"] == pytest.approx(se, rel=1e-12)
    assert row["bias_ci_low"] == pytest.approx(bias - tq * se, rel=1e-12)
    assert row["bias_ci_high"] == pytest.approx(bias + tq * se, rel=1e-12)
    assert row["confidence"] == 0.95
    assert row["rmse"] == pytest.approx(math.sqrt((0.1**2 + 0.1**2 + 0.3**2) / 3), rel=1e-12)
    assert row["mean_abs_log_ratio"] == pytest.approx(
        (abs(math.log(0.9)) + abs(math.log(1.1)) + abs(math.log(1.3))) / 3, rel=1e-12
    )
    assert row["median_seconds"] == 3.0  # over the ok jobs only
    assert row["median_peak_memory_mb"] == 20.0
    assert not row["significant_bias"]  # 0.1 is well inside +-t*se (t_2 = 4.30)
    assert row["true_mi"] == 1.0
    assert (row["family"], row["dim_x"], row["dim_y"]) == ("gaussian", 1, 1)
    assert row["params"] == json.dumps({"k": 3})


def test_output_columns_groups_and_order():
    jobs = [
        _job(1.0, n=1000, repetition=0),
        _job(1.2, n=100, repetition=0),
        _job(1.4, n=100, repetition=1),
        _job(0.5, estimator="kde", repetition=0),
        _job(0.6, params={"k": 5}, repetition=0),
        _job(2.0, task_id="another", true_mi=2.0, repetition=0),
    ]
    scores = score(_results(jobs))
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert len(scores) == 5
    keys = list(scores[list(scoring.GROUP_KEYS)].itertuples(index=False, name=None))
    assert keys == sorted(keys)
    ksg100 = scores[(scores.task_id == "gauss-1d") & (scores.estimator == "ksg") & (scores.n == 100)]
    assert sorted(ksg100["n_jobs"]) == [1, 2]  # k=3 (two seeds) and k=5 (one seed) stay apart
    assert scores["significant_bias"].dtype == bool
    assert scores["n_ok"].dtype == np.int64


def test_confidence_level_sets_the_t_quantile():
    jobs = [_job(e, repetition=i) for i, e in enumerate([1.0, 1.2, 1.1, 1.5])]
    row = _one(score(_results(jobs), confidence=0.9))
    est = np.array([1.0, 1.2, 1.1, 1.5])
    se = est.std(ddof=1) / 2.0
    half = stats.t.ppf(0.95, df=3) * se
    assert row["bias_ci_high"] - row["bias_ci_low"] == pytest.approx(2 * half, rel=1e-12)
    assert row["confidence"] == 0.9


def test_significant_bias_and_the_truths_own_stderr():
    est = [1.5, 1.6, 1.7]
    biased = _one(score(_results([_job(e, repetition=i) for i, e in enumerate(est)])))
    assert biased["bias"] == pytest.approx(0.6)
    assert biased["bias_ci_low"] > 0
    assert biased["significant_bias"]

    # The same estimates against a Monte-Carlo truth with a large standard error: no longer significant.
    se_bias = 0.1 / math.sqrt(3)
    tq = stats.t.ppf(0.975, df=2)
    noisy = [_job(e, repetition=i, mi_stderr=0.2) for i, e in enumerate(est)]
    row = _one(score(_results(noisy)))
    assert tq * math.sqrt(se_bias**2 + 0.2**2) > 0.6  # the widened half-width covers the bias
    assert row["bias_ci_low"] > 0  # the seed-only interval is unchanged ...
    assert not row["significant_bias"]  # ... but the flag accounts for the truth's uncertainty
    assert row["mi_stderr"] == 0.2

    unbiased = _one(score(_results([_job(e, repetition=i) for i, e in enumerate([0.9, 1.1, 1.0])])))
    assert unbiased["bias"] == pytest.approx(0.0, abs=1e-15)
    assert not unbiased["significant_bias"]

    # A deterministic but wrong estimator: zero spread, nonzero bias, exact truth -> significant.
    constant = _one(score(_results([_job(0.5, repetition=i) for i in range(3)])))
    assert constant["sd"] == 0.0
    assert constant["significant_bias"]


def test_single_ok_seed_has_undefined_spread():
    jobs = [_job(1.3), _job(0.0, repetition=1, status="error", error="x")]
    row = _one(score(_results(jobs)))
    assert row["n_ok"] == 1
    assert row["failure_rate"] == 0.5
    assert row["bias"] == pytest.approx(0.3)
    assert row["rmse"] == pytest.approx(0.3)
    for col in ("sd", "se_bias", "bias_ci_low", "bias_ci_high"):
        assert math.isnan(row[col]), col
    assert not row["significant_bias"]


def test_all_jobs_failed():
    jobs = [
        _job(0.0, repetition=0, status="error", error="boom"),
        _job(0.0, repetition=1, status="timeout"),
    ]
    row = _one(score(_results(jobs)))
    assert row["n_jobs"] == 2
    assert row["n_ok"] == 0
    assert row["failure_rate"] == 1.0
    for col in (
        "mean",
        "bias",
        "sd",
        "rmse",
        "mean_abs_log_ratio",
        "median_seconds",
        "median_peak_memory_mb",
    ):
        assert math.isnan(row[col]), col
    assert not row["significant_bias"]


def test_failure_rate_ignores_estimate_of_failed_rows():
    # A failed job's estimate is never used, even if a (stale) value is present.
    jobs = [_job(1.0, repetition=0), _job(1.0, repetition=1)]
    failed = _job(0.0, repetition=2, status="error", error="e")
    failed["estimate"] = 99.0
    row = _one(score(_results([*jobs, failed])))
    assert row["mean"] == 1.0
    assert row["failure_rate"] == pytest.approx(1 / 3)


def test_log_ratio_edge_cases():
    zero_truth = _one(score(_results([_job(e, true_mi=0.0, repetition=i) for i, e in enumerate([0.1, 0.2])])))
    assert math.isnan(zero_truth["mean_abs_log_ratio"])
    assert zero_truth["bias"] == pytest.approx(0.15)  # the other scores are still defined

    nonpositive = _one(score(_results([_job(e, repetition=i) for i, e in enumerate([1.0, 0.0])])))
    assert nonpositive["mean_abs_log_ratio"] == math.inf

    negative = _one(score(_results([_job(e, repetition=i) for i, e in enumerate([1.0, -0.2])])))
    assert negative["mean_abs_log_ratio"] == math.inf

    ratio_two = _one(score(_results([_job(e, true_mi=0.5, repetition=i) for i, e in enumerate([1.0, 0.25])])))
    assert ratio_two["mean_abs_log_ratio"] == pytest.approx(math.log(2.0), rel=1e-12)


def test_nonfinite_ok_estimate_is_not_hidden():
    row = _one(score(_results([_job(e, repetition=i) for i, e in enumerate([1.0, math.inf])])))
    assert row["mean"] == math.inf
    assert row["rmse"] == math.inf
    assert not row["significant_bias"]


def test_empty_and_malformed_input():
    full = _results([_job(1.0)])
    with pytest.raises(ValueError, match="empty"):
        score(full.iloc[0:0])
    with pytest.raises(ValueError, match=r"missing required column\(s\): true_mi, status"):
        score(full.drop(columns=["true_mi", "status"]))
    with pytest.raises(ValueError, match="DataFrame"):
        score([{"estimate": 1.0}])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        score(full, confidence=1.0)
    mixed = _results([_job(1.0, true_mi=1.0), _job(1.0, true_mi=2.0, repetition=1)])
    with pytest.raises(ValueError, match="true_mi differs"):
        score(mixed)


def _scores_table(rows: list[tuple[str, float, int, float]]) -> pd.DataFrame:
    """A minimal scores table: (estimator, true_mi, n, bias) per row."""
    return pd.DataFrame(
        [
            {
                "task_id": f"t{truth}",
                "task_version": "1",
                "family": "gaussian",
                "estimator": est,
                "params": "{}",
                "params_hash": "h0",
                "n": n,
                "true_mi": truth,
                "bias": bias,
            }
            for est, truth, n, bias in rows
        ]
    )


def test_sample_efficiency_on_a_constructed_table():
    table = _scores_table(
        [
            # tol = max(0.1 * 1, 0.05) = 0.1: within at 100, out at 1000, within at 10000 -> 10000.
            ("late", 1.0, 10, 0.5),
            ("late", 1.0, 100, 0.05),
            ("late", 1.0, 1000, 0.2),
            ("late", 1.0, 10000, 0.08),
            # within from 100 on (|-0.1| == tol counts as within) -> 100; rows are given unsorted.
            ("early", 1.0, 10000, 0.01),
            ("early", 1.0, 10, 0.3),
            ("early", 1.0, 1000, -0.1),
            ("early", 1.0, 100, 0.09),
            # out at the largest n -> never.
            ("never", 1.0, 10, 0.0),
            ("never", 1.0, 100, 0.5),
            # NaN bias (all seeds failed) breaks the run.
            ("gap", 1.0, 10, 0.0),
            ("gap", 1.0, 100, float("nan")),
            ("gap", 1.0, 1000, 0.0),
            # Small truth: tol = max(0.1 * 0.1, 0.05) = 0.05.
            ("small", 0.1, 10, 0.06),
            ("small", 0.1, 100, 0.04),
        ]
    )
    eff = sample_efficiency(table).set_index(["task_id", "estimator"])
    assert list(sample_efficiency(table).columns) == list(scoring.EFFICIENCY_COLUMNS)
    assert eff.loc[("t1.0", "late"), "min_n"] == 10000
    assert eff.loc[("t1.0", "early"), "min_n"] == 100
    assert math.isnan(eff.loc[("t1.0", "never"), "min_n"])
    assert eff.loc[("t1.0", "gap"), "min_n"] == 1000
    assert eff.loc[("t0.1", "small"), "min_n"] == 100
    assert eff.loc[("t0.1", "small"), "tolerance"] == pytest.approx(0.05)
    assert eff.loc[("t1.0", "late"), "tolerance"] == pytest.approx(0.1)
    assert eff.loc[("t1.0", "late"), "max_n"] == 10000
    assert eff.loc[("t1.0", "late"), "n_sizes"] == 4

    strict = sample_efficiency(table, rel_tol=0.0, abs_tol=0.02).set_index(["task_id", "estimator"])
    assert strict.loc[("t1.0", "early"), "min_n"] == 10000
    assert math.isnan(strict.loc[("t1.0", "late"), "min_n"])


def test_sample_efficiency_accepts_score_output_and_rejects_bad_input():
    jobs = [_job(e, n=n, repetition=i) for n in (10, 100) for i, e in enumerate([1.0, 1.02])]
    eff = sample_efficiency(score(_results(jobs)))
    assert eff["min_n"].tolist() == [10.0]
    with pytest.raises(ValueError, match="missing required column"):
        sample_efficiency(pd.DataFrame({"task_id": ["t"], "n": [1]}))
    with pytest.raises(ValueError, match="empty"):
        sample_efficiency(_scores_table([]).reindex(columns=[*scoring.EFFICIENCY_KEYS, "n", "true_mi", "bias"]))
    with pytest.raises(ValueError, match="rel_tol"):
        sample_efficiency(_scores_table([("a", 1.0, 10, 0.0)]), rel_tol=-0.1)
    with pytest.raises(ValueError, match="abs_tol"):
        sample_efficiency(_scores_table([("a", 1.0, 10, 0.0)]), abs_tol=float("nan"))
