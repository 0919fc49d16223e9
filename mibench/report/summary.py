"""The headline numbers of a report: which estimators get close to the truth, per estimator, per task family and
overall.

Everything starts from one tidy table, :func:`cell_table`: the per-cell scores of :func:`mibench.scoring.score`
(one row per task, estimator configuration and sample size ``n``, over seeds) with a readable estimator label,
the absolute error of the mean estimate and whether the cell is *within tolerance*. The summaries, the figures
and the report's tables all read that table, so they cannot disagree about a cell.

**Within tolerance** (:class:`Tolerance`). A cell with mean estimate ``m`` (over its successful seeds) and truth
``I`` (nats) is within tolerance when both

* the absolute test holds: ``|m - I| <= max(rel * I, abs)`` (defaults ``rel = 0.1``, ``abs = 0.05`` nats), and
* the factor test holds: ``I / factor <= m <= factor * I`` (default ``factor = 1.5``), applied only when
  ``I > abs``. A truth at or below ``abs`` is indistinguishable from 0 at that tolerance and the ratio to it is
  meaningless (undefined at ``I = 0``), so for such a truth the absolute test alone decides.

A cell without a finite mean (every seed failed) is not within tolerance. Everything is in nats.

**Weighting.** :func:`rank_estimators` weighs task families equally: an estimator's score in a family is the share
of its cells there that are within tolerance, and its overall score is the mean of its family scores over the
families it ran on. A catalogue with many tasks of one family (Gaussian sweeps, say) would otherwise decide the
ranking by that family alone; the pooled share (every cell weighs the same) is reported beside it for contrast.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "ABS_ERROR",
    "JOINT_DIM",
    "LABEL",
    "TASK_LABEL",
    "WITHIN",
    "EfficiencySummary",
    "EstimatorSummary",
    "FamilyScore",
    "FamilySummary",
    "RankedEstimator",
    "ReportSummary",
    "Tolerance",
    "cell_table",
    "efficiency_table",
    "rank_estimators",
    "summarize",
    "summarize_efficiency",
    "summarize_estimators",
    "summarize_families",
]

#: Columns :func:`cell_table` adds to the scores: the estimator configuration's label (as in every table and
#: figure), the task's label, ``|mean - true_mi|`` (nats), the tolerance verdict and ``dim_x + dim_y``.
LABEL = "estimator_label"
TASK_LABEL = "task_label"
ABS_ERROR = "abs_error"
WITHIN = "within_tolerance"
JOINT_DIM = "joint_dim"


@dataclass(frozen=True)
class Tolerance:
    """When a mean estimate ``m`` counts as close to the truth ``I`` (nats).

    ``|m - I| <= max(rel * I, abs)`` and, when ``I > abs``, ``I / factor <= m <= factor * I``; see the module
    docstring for why the factor test is skipped for a truth at or below ``abs``.
    """

    rel: float = 0.1
    abs: float = 0.05
    factor: float = 1.5

    def __post_init__(self) -> None:
        for name in ("rel", "abs"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"tolerance {name} must be a finite number >= 0, got {value!r}")
        if not (math.isfinite(self.factor) and self.factor >= 1):
            raise ValueError(f"tolerance factor must be a finite number >= 1, got {self.factor!r}")

    def within(self, mean: np.ndarray, truth: np.ndarray) -> np.ndarray:
        """Elementwise verdict for arrays of mean estimates and truths (nats); NaN or inf never counts as within."""
        import numpy as np

        mean = np.asarray(mean, dtype=float)
        truth = np.asarray(truth, dtype=float)
        finite = np.isfinite(mean) & np.isfinite(truth)
        with np.errstate(invalid="ignore"):
            absolute = np.abs(mean - truth) <= np.maximum(self.rel * truth, self.abs)
            ratio_applies = truth > self.abs
            in_factor = (mean >= truth / self.factor) & (mean <= truth * self.factor)
        return finite & absolute & (~ratio_applies | in_factor)

    def describe(self, *, bits: bool = False) -> str:
        """The rule in one sentence, in nats or bits (the absolute part converted; ratios are unit-free)."""
        from mibench.units import nats_to_bits

        unit = "bits" if bits else "nats"
        floor = nats_to_bits(self.abs) if bits else self.abs
        return (
            f"a cell (task, estimator, n) is *within tolerance* when its mean estimate m over the successful seeds "
            f"satisfies |m − truth| ≤ max({self.rel:g} × truth, {floor:.3g} {unit}) and, for a truth above "
            f"{floor:.3g} {unit}, truth / {self.factor:g} ≤ m ≤ {self.factor:g} × truth (a truth at or below "
            f"{floor:.3g} {unit}, 0 included, is judged by the absolute test alone); a cell whose every seed failed "
            "is not within tolerance"
        )


def cell_table(scores: pd.DataFrame, tolerance: Tolerance | None = None) -> pd.DataFrame:
    """The tidy per-cell table that the report's summaries and figures read.

    Args:
        scores: the output of :func:`mibench.scoring.score` (one row per task, estimator configuration and n).
        tolerance: the rule of :data:`WITHIN` (default :class:`Tolerance()`).

    Returns:
        A copy of ``scores`` with the columns :data:`LABEL` (:func:`mibench.report.tables.estimator_labels`),
        :data:`TASK_LABEL` (:func:`mibench.report.tables.task_labels`), :data:`ABS_ERROR` ``= |mean - true_mi|``
        (NaN where every seed failed), :data:`WITHIN` and :data:`JOINT_DIM` ``= dim_x + dim_y``.

    Raises:
        ValueError: ``scores`` is empty or lacks a column of the scores table.
    """
    from mibench import scoring as s
    from mibench.report.tables import estimator_labels, task_labels

    s._require(scores, s.SCORE_COLUMNS, "scores")
    tolerance = tolerance or Tolerance()
    mean = scores[s.MEAN].to_numpy(dtype=float)
    truth = scores[s.TRUE_MI].to_numpy(dtype=float)
    return scores.assign(
        **{
            LABEL: estimator_labels(scores).to_numpy(),
            TASK_LABEL: task_labels(scores).to_numpy(),
            ABS_ERROR: abs(mean - truth),
            WITHIN: tolerance.within(mean, truth),
            JOINT_DIM: (scores[s.DIM_X].astype(int) + scores[s.DIM_Y].astype(int)).to_numpy(),
        }
    )


def _median(values: pd.Series) -> float:
    """Median of the finite values, NaN when there are none."""
    import numpy as np

    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(np.median(finite)) if finite.size else float("nan")


def _failure_rate(cells: pd.DataFrame) -> float:
    from mibench import scoring as s

    jobs = int(cells[s.N_JOBS].sum())
    return (jobs - int(cells[s.N_OK].sum())) / jobs if jobs else float("nan")


def _sort_error(value: float) -> float:
    """A NaN error sorts after every number."""
    return value if math.isfinite(value) else math.inf


# ------------------------------------------------------------------------------------------------------------
# Per estimator
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimatorSummary:
    """One estimator configuration across the tasks it ran.

    * ``share_within[n]``: of the tasks it ran at ``n``, the share whose cell is within tolerance
      (``tasks_at[n]`` is that number of tasks; a size it did not run is absent from both);
    * ``largest_n``: the largest ``n`` it ran; ``median_abs_error``: the median over its tasks at ``largest_n`` of
      ``|mean - truth|`` (nats; cells without a mean left out); ``median_seconds``: the median over the same cells
      of each cell's median seconds per job;
    * ``failure_rate``: failed jobs / jobs, over all its jobs (every ``n``).
    """

    label: str
    estimator: str
    tasks: int
    share_within: Mapping[int, float]
    tasks_at: Mapping[int, int]
    largest_n: int
    median_abs_error: float
    failure_rate: float
    median_seconds: float


def summarize_estimators(cells: pd.DataFrame) -> tuple[EstimatorSummary, ...]:
    """One :class:`EstimatorSummary` per estimator configuration of ``cells`` (from :func:`cell_table`), sorted by
    label."""
    from mibench import scoring as s

    out = []
    for label, rows in cells.groupby(LABEL, sort=True):
        share, tasks_at = {}, {}
        for n, at_n in rows.groupby(s.N, sort=True):
            tasks_at[int(n)] = int(at_n[s.TASK_ID].nunique())
            share[int(n)] = float(at_n[WITHIN].mean())
        largest = int(rows[s.N].max())
        at_largest = rows[rows[s.N] == largest]
        out.append(
            EstimatorSummary(
                label=str(label),
                estimator=str(rows[s.ESTIMATOR].iloc[0]),
                tasks=int(rows[s.TASK_ID].nunique()),
                share_within=share,
                tasks_at=tasks_at,
                largest_n=largest,
                median_abs_error=_median(at_largest[ABS_ERROR]),
                failure_rate=_failure_rate(rows),
                median_seconds=_median(at_largest[s.MEDIAN_SECONDS]),
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------------------------------------
# Per family, and the ranking with families weighted equally
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyScore:
    """One estimator configuration in one task family: ``share_within`` is the share of its cells there (every
    task and ``n`` it ran) within tolerance; ``median_abs_error`` the median ``|mean - truth|`` over those cells
    (nats; cells without a mean left out)."""

    label: str
    cells: int
    share_within: float
    median_abs_error: float


@dataclass(frozen=True)
class FamilySummary:
    """A task family: its number of tasks and its estimators, best first (:func:`summarize_families`)."""

    family: str
    tasks: int
    scores: tuple[FamilyScore, ...]

    @property
    def best(self) -> FamilyScore:
        """The estimator with the highest share within tolerance (ties: the smaller median absolute error)."""
        return self.scores[0]

    def score_of(self, label: str) -> FamilyScore | None:
        """The score of the configuration ``label`` in this family, or None where it did not run."""
        return next((score for score in self.scores if score.label == label), None)


def _best_first(score: FamilyScore) -> tuple[float, float, str]:
    return (-score.share_within, _sort_error(score.median_abs_error), score.label)


def summarize_families(cells: pd.DataFrame) -> tuple[FamilySummary, ...]:
    """One :class:`FamilySummary` per task family of ``cells`` (from :func:`cell_table`), sorted by family.

    Within a family, estimators are ordered by share of cells within tolerance (highest first), then by median
    absolute error (smallest first, NaN last), then by label.
    """
    from mibench import scoring as s

    out = []
    for family, rows in cells.groupby(s.FAMILY, sort=True):
        scores = [
            FamilyScore(
                label=str(label),
                cells=len(group),
                share_within=float(group[WITHIN].mean()),
                median_abs_error=_median(group[ABS_ERROR]),
            )
            for label, group in rows.groupby(LABEL, sort=True)
        ]
        out.append(
            FamilySummary(
                family=str(family), tasks=int(rows[s.TASK_ID].nunique()), scores=tuple(sorted(scores, key=_best_first))
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class RankedEstimator:
    """An estimator configuration's place in the overall ranking (:func:`rank_estimators`).

    ``score`` is the mean over the ``families`` it ran on of its family share within tolerance (families weighted
    equally); ``mean_abs_error`` the mean over the same families of its family median absolute error (nats; the
    tie-break); ``pooled_share`` the share of all its cells within tolerance (every cell weighted equally, shown
    for contrast).
    """

    rank: int
    label: str
    score: float
    families: int
    mean_abs_error: float
    pooled_share: float


def rank_estimators(
    cells: pd.DataFrame, families: tuple[FamilySummary, ...] | None = None
) -> tuple[RankedEstimator, ...]:
    """Rank estimator configurations with task families weighted equally.

    For configuration ``e`` with family shares ``p_f(e)`` over the set ``F(e)`` of families it ran on,
    ``score(e) = (1 / |F(e)|) * sum_{f in F(e)} p_f(e)``. Higher is better; ties go to the smaller mean of the
    family median absolute errors, then to the label. Ranks are 1, 2, ... in that order.

    Args:
        cells: the tidy table of :func:`cell_table`.
        families: :func:`summarize_families` of ``cells``, when already computed.
    """
    import numpy as np

    families = summarize_families(cells) if families is None else families
    pooled = cells.groupby(LABEL)[WITHIN].mean()
    entries = []
    for label in sorted(pooled.index):
        mine = [score for family in families if (score := family.score_of(label)) is not None]
        errors = [score.median_abs_error for score in mine if math.isfinite(score.median_abs_error)]
        entries.append(
            (
                float(np.mean([score.share_within for score in mine])),
                float(np.mean(errors)) if errors else float("nan"),
                str(label),
                len(mine),
                float(pooled[label]),
            )
        )
    entries.sort(key=lambda e: (-e[0], _sort_error(e[1]), e[2]))
    return tuple(
        RankedEstimator(rank=i, label=label, score=score, families=count, mean_abs_error=error, pooled_share=share)
        for i, (score, error, label, count, share) in enumerate(entries, start=1)
    )


# ------------------------------------------------------------------------------------------------------------
# Sample efficiency
# ------------------------------------------------------------------------------------------------------------


def efficiency_table(cells: pd.DataFrame) -> pd.DataFrame:
    """The smallest sample size from which each (task, estimator configuration) stays within tolerance.

    ``min_n`` is the smallest measured ``n`` such that the cell is within tolerance at ``n`` and at every larger
    ``n`` measured for that task and configuration; NaN when it is not within at the largest ``n``.

    Returns:
        One row per (task, configuration), sorted by task and label, with columns ``task_label``, ``family``,
        ``estimator_label``, ``true_mi`` (nats), ``min_n`` and ``max_n``.
    """
    import pandas as pd

    from mibench import scoring as s

    records = []
    for (task, label), rows in cells.groupby([TASK_LABEL, LABEL], sort=True):
        rows = rows.sort_values(s.N)
        sizes = rows[s.N].to_numpy()
        min_n = s.smallest_n_staying_within(sizes, rows[WITHIN].to_numpy(dtype=bool))
        records.append(
            {
                TASK_LABEL: task,
                s.FAMILY: rows[s.FAMILY].iloc[0],
                LABEL: label,
                s.TRUE_MI: float(rows[s.TRUE_MI].iloc[0]),
                s.MIN_N: min_n,
                s.MAX_N: int(sizes[-1]),
            }
        )
    return pd.DataFrame.from_records(records, columns=[TASK_LABEL, s.FAMILY, LABEL, s.TRUE_MI, s.MIN_N, s.MAX_N])


@dataclass(frozen=True)
class EfficiencySummary:
    """How many of an estimator configuration's ``tasks`` first stay within tolerance from each ``n``
    (``reached[n]``), and how many are not within at their largest ``n`` (``never``)."""

    label: str
    tasks: int
    reached: Mapping[int, int] = field(default_factory=dict)
    never: int = 0


def summarize_efficiency(efficiency: pd.DataFrame) -> tuple[EfficiencySummary, ...]:
    """Count the rows of :func:`efficiency_table` by configuration and ``min_n``, sorted by label."""
    from mibench import scoring as s

    out = []
    for label, rows in efficiency.groupby(LABEL, sort=True):
        reached = rows[s.MIN_N].dropna().astype(int).value_counts()
        out.append(
            EfficiencySummary(
                label=str(label),
                tasks=len(rows),
                reached={int(n): int(reached[n]) for n in sorted(reached.index)},
                never=int(rows[s.MIN_N].isna().sum()),
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------------------------------------
# Everything a report shows
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSummary:
    """The summaries of one scores table, all computed from the same tidy :attr:`cells` (:func:`cell_table`)."""

    tolerance: Tolerance
    cells: pd.DataFrame
    sizes: tuple[int, ...]
    estimators: tuple[EstimatorSummary, ...]
    families: tuple[FamilySummary, ...]
    ranking: tuple[RankedEstimator, ...]
    efficiency: pd.DataFrame
    efficiency_counts: tuple[EfficiencySummary, ...]


def summarize(scores: pd.DataFrame, tolerance: Tolerance | None = None) -> ReportSummary:
    """Every summary a report shows, from the output of :func:`mibench.scoring.score`.

    Raises:
        ValueError: ``scores`` is empty or lacks a column of the scores table.
    """
    from mibench import scoring as s

    tolerance = tolerance or Tolerance()
    cells = cell_table(scores, tolerance)
    families = summarize_families(cells)
    efficiency = efficiency_table(cells)
    return ReportSummary(
        tolerance=tolerance,
        cells=cells,
        sizes=tuple(sorted(int(n) for n in cells[s.N].unique())),
        estimators=summarize_estimators(cells),
        families=families,
        ranking=rank_estimators(cells, families),
        efficiency=efficiency,
        efficiency_counts=summarize_efficiency(efficiency),
    )
