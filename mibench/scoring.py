"""Scores of MI estimators against ground truth, computed from the results table (one row per job).

Everything here is in nats. The unit of replication is the *seed*: each job of a group draws an independent
sample from the task, so the spread of the estimates across seeds is the only source of uncertainty used; no
single sample is ever bootstrapped.

Groups are ``(task_id, task_version, estimator, params_hash, n)`` (:data:`GROUP_KEYS`). Within a group,
with ``N`` jobs of which ``k`` have ``status == "ok"`` with estimates ``e_1 .. e_k``, truth ``I`` and the
truth's own standard error ``s_I`` (0 for closed-form or exact truths):

* ``n_jobs = N``, ``n_ok = k``, ``failure_rate = (N - k) / N`` (every status other than ``ok`` counts as a
  failure: ``error``, ``timeout``, ``memory``)
* ``mean = (1/k) sum e_i``
* ``bias = mean - I``
* ``sd = sqrt( sum (e_i - mean)^2 / (k - 1) )`` (``ddof=1``; NaN when ``k < 2``)
* ``se_bias = sd / sqrt(k)``
* ``bias_ci_low, bias_ci_high = bias -/+ t_{(1+c)/2, k-1} * se_bias`` -- the Student-t interval at confidence
  ``c`` (column ``confidence``) from the seeds alone; NaN when ``k < 2``
* ``significant_bias = |bias| > t_{(1+c)/2, k-1} * sqrt(se_bias^2 + s_I^2)`` -- the interval widened by the
  truth's own standard error excludes 0; ``False`` when it is undefined (``k < 2`` or a non-finite term)
* ``rmse = sqrt( (1/k) sum (e_i - I)^2 )``
* ``mean_abs_log_ratio = (1/k) sum |log(e_i / I)|`` with the edge cases made visible rather than dropped:
  ``I <= 0`` gives NaN (the ratio is undefined); ``e_i <= 0`` with ``I > 0`` gives ``|log| = inf`` for that
  seed, so the mean is ``inf``
* ``median_seconds``, ``median_peak_memory_mb``: medians over the ok jobs (memory skips unmeasured NaN values)

Statistics of an empty set (``k = 0``) are NaN. A non-finite estimate in an ok row is not hidden: it
propagates into ``mean``, ``bias``, ``sd`` and ``rmse``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from mibench.runner.schema import COLUMN, STATUS_OK

__all__ = [
    "EFFICIENCY_COLUMNS",
    "EFFICIENCY_KEYS",
    "GROUP_KEYS",
    "REQUIRED_RESULT_COLUMNS",
    "SCORE_COLUMNS",
    "sample_efficiency",
    "score",
    "smallest_n_staying_within",
]

# ------------------------------------------------------------------------------------------------------------
# Column names: the results table's come from its one definition (mibench.runner.schema.ResultRow); the scores
# and efficiency tables' are spelled here, once.
# ------------------------------------------------------------------------------------------------------------

# Results table (one row per job).
TASK_ID = COLUMN.task_id
TASK_VERSION = COLUMN.task_version
FAMILY = COLUMN.family
DIM_X = COLUMN.dim_x
DIM_Y = COLUMN.dim_y
ESTIMATOR = COLUMN.estimator
PARAMS = COLUMN.params
PARAMS_HASH = COLUMN.params_hash
N = COLUMN.n
REPETITION = COLUMN.repetition
SEED = COLUMN.seed
ESTIMATE = COLUMN.estimate
TRUE_MI = COLUMN.true_mi
MI_STDERR = COLUMN.mi_stderr
SECONDS = COLUMN.seconds
PEAK_MEMORY_MB = COLUMN.peak_memory_mb
STATUS = COLUMN.status
ERROR = COLUMN.error
INFO = COLUMN.info
MIBENCH_VERSION = COLUMN.mibench_version
FINISHED_AT = COLUMN.finished_at
RUN_ID = COLUMN.run_id

# Scores table (one row per group).
N_JOBS = "n_jobs"
N_OK = "n_ok"
FAILURE_RATE = "failure_rate"
MEAN = "mean"
BIAS = "bias"
SD = "sd"
SE_BIAS = "se_bias"
CONFIDENCE = "confidence"
BIAS_CI_LOW = "bias_ci_low"
BIAS_CI_HIGH = "bias_ci_high"
SIGNIFICANT_BIAS = "significant_bias"
RMSE = "rmse"
MEAN_ABS_LOG_RATIO = "mean_abs_log_ratio"
MEDIAN_SECONDS = "median_seconds"
MEDIAN_PEAK_MEMORY_MB = "median_peak_memory_mb"

# Sample-efficiency table (one row per task x estimator configuration).
TOLERANCE = "tolerance"
MIN_N = "min_n"
MAX_N = "max_n"
N_SIZES = "n_sizes"

GROUP_KEYS: tuple[str, ...] = (TASK_ID, TASK_VERSION, ESTIMATOR, PARAMS_HASH, N)
"""The columns that define one scored group."""

REQUIRED_RESULT_COLUMNS: tuple[str, ...] = (
    *GROUP_KEYS,
    FAMILY,
    DIM_X,
    DIM_Y,
    ESTIMATE,
    TRUE_MI,
    MI_STDERR,
    SECONDS,
    PEAK_MEMORY_MB,
    STATUS,
)
"""Columns :func:`score` needs in the results table (``params`` is carried along when present)."""

SCORE_COLUMNS: tuple[str, ...] = (
    *GROUP_KEYS,
    PARAMS,
    FAMILY,
    DIM_X,
    DIM_Y,
    TRUE_MI,
    MI_STDERR,
    N_JOBS,
    N_OK,
    FAILURE_RATE,
    MEAN,
    BIAS,
    SD,
    SE_BIAS,
    CONFIDENCE,
    BIAS_CI_LOW,
    BIAS_CI_HIGH,
    SIGNIFICANT_BIAS,
    RMSE,
    MEAN_ABS_LOG_RATIO,
    MEDIAN_SECONDS,
    MEDIAN_PEAK_MEMORY_MB,
)
"""Columns of the table :func:`score` returns, in order."""

EFFICIENCY_KEYS: tuple[str, ...] = (TASK_ID, TASK_VERSION, ESTIMATOR, PARAMS_HASH)
"""The columns that define one row of :func:`sample_efficiency`."""

EFFICIENCY_COLUMNS: tuple[str, ...] = (
    *EFFICIENCY_KEYS,
    PARAMS,
    FAMILY,
    TRUE_MI,
    TOLERANCE,
    MIN_N,
    MAX_N,
    N_SIZES,
)
"""Columns of the table :func:`sample_efficiency` returns, in order."""

_EFFICIENCY_REQUIRED: tuple[str, ...] = (*EFFICIENCY_KEYS, N, TRUE_MI, BIAS)


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` if ``df`` is not a non-empty DataFrame holding ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing required column(s): {', '.join(missing)}")
    if df.empty:
        raise ValueError(f"{what} is empty: there is nothing to score")


def _t_quantile(confidence: float, dof: int) -> float:
    """Two-sided Student-t critical value ``t_{(1+confidence)/2, dof}``."""
    from scipy import stats  # lazy: keeps ``import mibench.scoring`` light

    return float(stats.t.ppf(0.5 * (1.0 + confidence), dof))


def _abs_log_ratios(est: np.ndarray, truth: float) -> np.ndarray:
    """``|log(est / truth)|`` per estimate: all NaN if truth <= 0, else inf where est <= 0, NaN where NaN."""
    if not truth > 0:  # also catches a NaN truth
        return np.full(est.shape, np.nan)
    out = np.full(est.shape, np.inf)
    positive = est > 0
    out[positive] = np.abs(np.log(est[positive] / truth))
    out[np.isnan(est)] = np.nan
    return out


def _score_group(rows: pd.DataFrame, confidence: float) -> dict[str, object]:
    """Scores of one group (see the module docstring for the formulas)."""
    first = rows.iloc[0]
    truths = rows[TRUE_MI].to_numpy(dtype=float)
    stderrs = rows[MI_STDERR].to_numpy(dtype=float)
    if not (np.allclose(truths, truths[0], rtol=1e-12, atol=0.0, equal_nan=True)):
        key = ", ".join(f"{k}={first[k]!r}" for k in GROUP_KEYS)
        raise ValueError(f"true_mi differs between jobs of one group ({key}): {sorted(set(truths.tolist()))}")
    truth = float(truths[0])
    truth_se = float(np.nanmax(stderrs)) if np.isfinite(stderrs).any() else float("nan")

    ok = (rows[STATUS] == STATUS_OK).to_numpy()
    n_jobs = len(rows)
    k = int(ok.sum())
    est = rows.loc[ok, ESTIMATE].to_numpy(dtype=float)

    nan = float("nan")
    mean = bias = sd = se = lo = hi = rmse = malr = nan
    significant = False
    if k >= 1:
        with np.errstate(invalid="ignore", over="ignore"):
            mean = float(np.mean(est))
            bias = mean - truth
            rmse = float(np.sqrt(np.mean((est - truth) ** 2)))
        malr = float(np.mean(_abs_log_ratios(est, truth)))
    if k >= 2:
        with np.errstate(invalid="ignore", over="ignore"):
            sd = float(np.std(est, ddof=1))
        se = sd / math.sqrt(k)
        tq = _t_quantile(confidence, k - 1)
        lo, hi = bias - tq * se, bias + tq * se
        half_width = tq * math.sqrt(se**2 + truth_se**2)
        significant = bool(np.isfinite(half_width) and np.isfinite(bias) and abs(bias) > half_width)

    ok_rows = rows.loc[ok]
    median_seconds = float(ok_rows[SECONDS].median()) if k else nan
    median_memory = float(ok_rows[PEAK_MEMORY_MB].astype(float).median()) if k else nan

    return {
        **{key: first[key] for key in GROUP_KEYS},
        PARAMS: first[PARAMS] if PARAMS in rows.columns else None,
        FAMILY: first[FAMILY],
        DIM_X: first[DIM_X],
        DIM_Y: first[DIM_Y],
        TRUE_MI: truth,
        MI_STDERR: truth_se,
        N_JOBS: n_jobs,
        N_OK: k,
        FAILURE_RATE: (n_jobs - k) / n_jobs,
        MEAN: mean,
        BIAS: bias,
        SD: sd,
        SE_BIAS: se,
        CONFIDENCE: confidence,
        BIAS_CI_LOW: lo,
        BIAS_CI_HIGH: hi,
        SIGNIFICANT_BIAS: significant,
        RMSE: rmse,
        MEAN_ABS_LOG_RATIO: malr,
        MEDIAN_SECONDS: median_seconds,
        MEDIAN_PEAK_MEMORY_MB: median_memory,
    }


def score(results: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Score every (task, estimator configuration, n) group of a results table over its seeds.

    Args:
        results: the results table, one row per job (see :data:`REQUIRED_RESULT_COLUMNS`); estimates in nats.
        confidence: level ``c`` of the two-sided Student-t interval for the bias, ``0 < c < 1``.

    Returns:
        One row per group ``(task_id, task_version, estimator, params_hash, n)``, sorted by those keys, with
        the columns :data:`SCORE_COLUMNS`. The formulas and edge cases are in the module docstring; in short
        ``bias = mean - true_mi``, ``sd`` uses ``ddof=1``, ``se_bias = sd / sqrt(n_ok)``, the interval is
        ``bias -/+ t_{(1+c)/2, n_ok-1} * se_bias``, and ``significant_bias`` widens it by the truth's
        ``mi_stderr`` (added in quadrature) before asking whether it excludes 0.

    Raises:
        ValueError: ``results`` is empty, lacks a required column, ``confidence`` is outside (0, 1), or the
            jobs of one group disagree on ``true_mi``.
    """
    _require(results, REQUIRED_RESULT_COLUMNS, "results")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    rows = [_score_group(group, confidence) for _, group in results.groupby(list(GROUP_KEYS), sort=True, dropna=False)]
    scores = pd.DataFrame.from_records(rows, columns=list(SCORE_COLUMNS))
    scores[SIGNIFICANT_BIAS] = scores[SIGNIFICANT_BIAS].astype(bool)
    for col in (N_JOBS, N_OK):
        scores[col] = scores[col].astype("int64")
    return scores.reset_index(drop=True)


def smallest_n_staying_within(sizes: Sequence[float], within: Sequence[bool]) -> float:
    """The smallest sample size from which every larger one is within tolerance (``sizes`` ascending, ``within``
    the matching flags); NaN when the largest is not within."""
    min_n = float("nan")
    for i in range(len(sizes) - 1, -1, -1):  # walk down from the largest n while it stays within
        if not within[i]:
            break
        min_n = float(sizes[i])
    return min_n


def sample_efficiency(scores: pd.DataFrame, *, rel_tol: float = 0.1, abs_tol: float = 0.05) -> pd.DataFrame:
    """The smallest sample size from which an estimator stays within tolerance of the truth.

    For each ``(task_id, task_version, estimator, params_hash)`` the tolerance is
    ``tol = max(rel_tol * true_mi, abs_tol)`` (nats) and ``n`` counts as within tolerance when
    ``|bias(n)| <= tol`` (a NaN bias, e.g. every seed failed, counts as *not* within). ``min_n`` is the
    smallest measured ``n`` such that this holds at ``n`` and at every larger measured ``n``; NaN if it does
    not hold at the largest measured ``n``. The criterion uses the point estimate of the bias, not its
    interval.

    Args:
        scores: the output of :func:`score` (at least ``task_id, task_version, estimator, params_hash, n,
            true_mi, bias``).
        rel_tol: relative tolerance, a fraction of the true MI (``>= 0``).
        abs_tol: absolute tolerance in nats (``>= 0``); it keeps the criterion meaningful when the truth is
            ~0.

    Returns:
        One row per configuration with the columns :data:`EFFICIENCY_COLUMNS`: ``tolerance`` (nats),
        ``min_n`` (float, NaN when never reached), ``max_n`` (the largest ``n`` measured) and ``n_sizes`` (how
        many sizes were measured).

    Raises:
        ValueError: ``scores`` is empty, lacks a required column, or a tolerance is negative or not finite.
    """
    _require(scores, _EFFICIENCY_REQUIRED, "scores")
    for name, value in (("rel_tol", rel_tol), ("abs_tol", abs_tol)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    records = []
    for _, group in scores.groupby(list(EFFICIENCY_KEYS), sort=True, dropna=False):
        group = group.sort_values(N)
        first = group.iloc[0]
        truth = float(first[TRUE_MI])
        tol = max(rel_tol * truth, abs_tol) if math.isfinite(truth) else abs_tol
        within = (group[BIAS].abs() <= tol).to_numpy()  # NaN compares False
        sizes = group[N].to_numpy()
        min_n = smallest_n_staying_within(sizes, within)
        records.append(
            {
                **{key: first[key] for key in EFFICIENCY_KEYS},
                PARAMS: first[PARAMS] if PARAMS in group.columns else None,
                FAMILY: first[FAMILY] if FAMILY in group.columns else None,
                TRUE_MI: truth,
                TOLERANCE: tol,
                MIN_N: min_n,
                MAX_N: sizes[-1],
                N_SIZES: len(np.unique(sizes)),
            }
        )
    return pd.DataFrame.from_records(records, columns=list(EFFICIENCY_COLUMNS))
