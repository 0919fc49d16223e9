"""Regression comparison of two runs (``mibench compare BASELINE CURRENT``) or of estimators within one run
(``mibench compare STORE --versus ESTIMATOR``).

Inputs are results stores (SQLite, read through :func:`mibench.runner.results.load_results`) or the files that
``mibench export`` writes (.csv, .json). Jobs pair by (task id, task version, estimator, parameter hash, n, seed);
a **cell** is (task id, task version, estimator, parameter hash, n) and its seeds pair within it.

The rule, per cell (all values in nats):

* A seed ``ok`` in BASELINE that failed in CURRENT is a regression by itself (the cell is *newly failing*).
* On the seeds ``ok`` in both runs, ``d_i = |cur_i - truth| - |base_i - truth|`` (positive: CURRENT is further from
  the truth). The practical margin is ``m = max(a, r * truth)`` (defaults ``a = 0.02`` nats, ``r = 0.05``): a
  worsening of the mean absolute error by at most ``m`` does not count.
* Where the ``d_i`` vary: a one-sided paired t-test of H0 ``mean(d) <= m`` against ``mean(d) > m``
  (:func:`scipy.stats.ttest_1samp` of ``d`` against ``m``, ``alternative="greater"``). The cell regressed when its
  p-value is significant at ``alpha`` after Holm's correction across every cell that was tested.
* Where they do not vary (every ``d_i`` equal, e.g. an unchanged deterministic estimator, or a single pair): the
  cell regressed when ``mean(d) > m``; there is no test.
* Each tested cell reports the smallest effect it could detect, the *minimal detectable excess*
  ``t_{1-alpha, k-1} * sd(d) / sqrt(k)`` with ``k`` pairs and ``sd`` the sample SD of the ``d_i`` (ddof=1): the
  mean of ``d`` above the margin at which the unadjusted test's statistic reaches its critical value.

Per estimator (estimator and parameter hash), a pooled test for power across its cells: a one-sided sign-flip
permutation test of the per-cell excesses ``e_c = mean(d_c) - m_c``, statistic ``mean(e)``, H0 symmetric about 0.
Every sign pattern is enumerated when there are at most ``permutations`` of them; otherwise ``permutations``
random flips are drawn from ``numpy.random.default_rng(seed)`` and ``p = (1 + #{T* >= T}) / (1 + permutations)``.
The estimators' p-values are Holm-corrected at ``alpha``.

Timing: the median seconds of the paired ``ok`` jobs, CURRENT / BASELINE, per estimator. It gates only when a
time factor is given and both sides' recorded machines (CPU model, cores, architecture, platform) are the same,
one machine per side; exported files carry no environments, so their times are shown and never gated.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mibench.errors import InvalidOptionError, ResultsFileError
from mibench.runner.results import run_ids
from mibench.runner.schema import COLUMN, RESULT_COLUMNS, STATUS_OK

if TYPE_CHECKING:
    import pandas as pd

    from mibench.runner.environment import Environment

__all__ = [
    "CellComparison",
    "CellKey",
    "CompareSettings",
    "Comparison",
    "EstimatorComparison",
    "ResultsInput",
    "compare",
    "compare_files",
    "comparison_json",
    "comparison_markdown",
    "load_input",
]

PathLike = str | os.PathLike[str]

#: Largest Markdown :func:`comparison_markdown` returns (a GitHub job summary holds at most 1 MiB).
MAX_MARKDOWN_BYTES = 1024 * 1024 - 1024
_COLUMNS_NEEDED = (
    COLUMN.task_id,
    COLUMN.task_version,
    COLUMN.estimator,
    COLUMN.params_hash,
    COLUMN.n,
    COLUMN.seed,
    COLUMN.estimate,
    COLUMN.true_mi,
    COLUMN.seconds,
    COLUMN.status,
    COLUMN.run_id,
)


# ---------------------------------------------------------------------------------------------------------------
# the result types
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class CellKey:
    """One cell: (task id, task version, estimator, parameter hash, n)."""

    task_id: str
    task_version: str
    estimator: str
    params_hash: str
    n: int

    def label(self) -> str:
        return f"{self.task_id}@{self.task_version} {self.estimator}#{self.params_hash[:8]} n={self.n}"


@dataclass(frozen=True)
class CompareSettings:
    """The thresholds of a comparison (see the module docstring)."""

    margin_abs: float = 0.02
    margin_rel: float = 0.05
    alpha: float = 0.05
    permutations: int = 10_000
    seed: int = 0
    time_factor: float | None = None

    def __post_init__(self) -> None:
        if not (self.margin_abs >= 0 and math.isfinite(self.margin_abs)):
            raise InvalidOptionError(f"the absolute margin must be >= 0 nats, got {self.margin_abs}")
        if not (self.margin_rel >= 0 and math.isfinite(self.margin_rel)):
            raise InvalidOptionError(f"the relative margin must be >= 0, got {self.margin_rel}")
        if not 0 < self.alpha < 1:
            raise InvalidOptionError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.permutations < 1:
            raise InvalidOptionError(f"permutations must be >= 1, got {self.permutations}")
        if self.time_factor is not None and not self.time_factor > 0:
            raise InvalidOptionError(f"the time factor must be > 0, got {self.time_factor}")

    def margin(self, truth: float) -> float:
        """The practical margin ``max(a, r * truth)`` in nats."""
        return max(self.margin_abs, self.margin_rel * abs(truth))


@dataclass(frozen=True)
class CellComparison:
    """One cell of CURRENT against its BASELINE.

    Attributes:
        key: the cell (in ``--versus`` mode, the CURRENT estimator's cell).
        truth: the true MI (nats).
        margin: the practical margin ``m`` (nats).
        pairs: seeds ``ok`` in both runs.
        newly_failed_seeds: seeds ``ok`` in BASELINE that failed in CURRENT.
        base_abs_error, cur_abs_error: mean |estimate - truth| over the pairs (NaN without pairs).
        mean_diff, sd_diff: mean and sample SD (ddof=1; NaN for one pair) of ``d``.
        excess: ``mean_diff - margin``.
        rule: ``"t-test"``, ``"no variance"`` or ``"no pairs"``.
        p_value, p_holm: the one-sided t-test's p-value and its Holm-adjusted value (``None`` without a test).
        min_detectable: ``t_{1-alpha, k-1} * sd / sqrt(k)`` (``None`` without a test).
        regression: whether the cell regressed (newly failing seeds, or the rule above).
    """

    key: CellKey
    truth: float
    margin: float
    pairs: int
    newly_failed_seeds: tuple[int, ...]
    base_abs_error: float
    cur_abs_error: float
    mean_diff: float
    sd_diff: float
    excess: float
    rule: str
    p_value: float | None
    p_holm: float | None
    min_detectable: float | None
    regression: bool


@dataclass(frozen=True)
class EstimatorComparison:
    """The pooled sign-flip test and the timing of one estimator (name and parameter hash) across its cells."""

    estimator: str
    params_hash: str
    cells: int
    mean_excess: float
    p_value: float | None
    p_holm: float | None
    regression: bool
    base_median_seconds: float | None
    cur_median_seconds: float | None
    time_ratio: float | None
    time_regression: bool


@dataclass(frozen=True)
class Comparison:
    """Everything a comparison found. ``regressed`` is what sets ``mibench compare``'s exit status."""

    baseline: str
    current: str
    versus: str | None
    settings: CompareSettings
    cells: tuple[CellComparison, ...]
    estimators: tuple[EstimatorComparison, ...]
    new_cells: tuple[CellKey, ...]
    missing_cells: tuple[CellKey, ...]
    newly_failing: tuple[CellKey, ...]
    time_gated: bool
    time_note: str

    @property
    def cell_regressions(self) -> tuple[CellComparison, ...]:
        return tuple(c for c in self.cells if c.regression)

    @property
    def estimator_regressions(self) -> tuple[EstimatorComparison, ...]:
        return tuple(e for e in self.estimators if e.regression)

    @property
    def time_regressions(self) -> tuple[EstimatorComparison, ...]:
        return tuple(e for e in self.estimators if e.time_regression)

    @property
    def regressed(self) -> bool:
        return bool(self.cell_regressions or self.newly_failing or self.estimator_regressions or self.time_regressions)


# ---------------------------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsInput:
    """Rows to compare and, for a store, the recorded environment of each of their runs (``None`` for a file)."""

    name: str
    frame: pd.DataFrame
    environments: Mapping[str, Environment | None] | None


def load_input(path: PathLike, suite: str | None = None) -> ResultsInput:
    """The rows of a results store (only those of ``suite`` when given, see
    :func:`mibench.runner.results.load_results`), or of a ``mibench export`` file (by its suffix: .csv or .json;
    ``suite`` must then be ``None``: export the suite instead).

    Raises:
        ResultsFileError: an export file that cannot be read or lacks result columns.
        StoreError, NoResultsError: from :func:`mibench.runner.results.load_results` (any other suffix).
        FileNotFoundError: a missing export file.
    """
    import pandas as pd

    from mibench.runner.results import load_results, run_environments

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        frame = load_results(path, suite)
        return ResultsInput(str(path), frame, run_environments(path, run_ids(frame)))
    if suite is not None:
        raise InvalidOptionError(
            f"--suite selects jobs in results stores; {path} is an export file, which holds what was exported "
            "(export it with `mibench export --suite NAME`)"
        )
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype={COLUMN.task_version: str, COLUMN.params_hash: str, COLUMN.run_id: str})
        else:
            frame = pd.read_json(path, orient="records", dtype=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"cannot read results file {path}: {exc}") from exc
    if not isinstance(frame, pd.DataFrame):
        raise ResultsFileError(f"results file {path} does not hold a table of result rows")
    missing = [c for c in _COLUMNS_NEEDED if c not in frame.columns]
    if missing:
        raise ResultsFileError(
            f"results file {path} lacks column(s) {', '.join(missing)}; expected an export of `mibench export` "
            f"({len(RESULT_COLUMNS)} columns)"
        )
    if frame.empty:
        raise ResultsFileError(f"results file {path} holds no rows")
    return ResultsInput(str(path), frame, None)


# ---------------------------------------------------------------------------------------------------------------
# the computation
# ---------------------------------------------------------------------------------------------------------------

_Seeds = dict[int, tuple[bool, float, float, float]]  # seed -> (ok, estimate, truth, seconds)


def _cells(frame: pd.DataFrame) -> dict[CellKey, _Seeds]:
    """Rows by cell and seed. Where one (cell, seed) has several rows (e.g. two estimator versions in one store),
    the one finished last is used."""
    if COLUMN.finished_at in frame.columns:
        frame = frame.sort_values(COLUMN.finished_at, kind="stable")
    out: dict[CellKey, _Seeds] = {}
    columns = [frame[c].tolist() for c in _COLUMNS_NEEDED]
    for task, version, estimator, phash, n, seed, estimate, truth, seconds, status, _run in zip(*columns, strict=True):
        key = CellKey(str(task), str(version), str(estimator), str(phash), int(n))
        ok = status == STATUS_OK and estimate is not None and math.isfinite(float(estimate))
        out.setdefault(key, {})[int(seed)] = (
            ok,
            float(estimate) if ok else math.nan,
            float(truth),
            math.nan if seconds is None else float(seconds),
        )
    return out


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (in the input's order)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def sign_flip_p_value(values: Sequence[float], permutations: int, seed: int) -> float:
    """One-sided p-value of ``mean(values) > 0`` by flipping signs: every sign pattern when there are at most
    ``permutations`` of them (exact), else ``permutations`` random patterns from ``default_rng(seed)`` with
    ``(1 + hits) / (1 + permutations)``."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    k = len(x)
    observed = x.mean()
    tol = 1e-12 * max(1.0, float(np.abs(x).max()))
    if k <= 20 and 2**k <= permutations:
        patterns = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1) * 2 - 1
        stats = (patterns * x).mean(axis=1)
        return float(np.mean(stats >= observed - tol))
    rng = np.random.default_rng(seed)
    hits = 0
    done = 0
    while done < permutations:  # in blocks, to bound memory
        block = min(permutations - done, max(1, 2_000_000 // max(k, 1)))
        signs = rng.choice(np.array([-1.0, 1.0]), size=(block, k))
        hits += int(np.sum((signs * x).mean(axis=1) >= observed - tol))
        done += block
    return (1 + hits) / (1 + permutations)


def _machine(env: Environment | None) -> tuple[Any, ...] | None:
    if env is None:
        return None
    return (env.cpu_model, env.logical_cores, env.usable_cores, env.machine, env.platform)


def _side_machine(environments: Mapping[str, Environment | None] | None, run_ids: set[str]) -> tuple[Any, ...] | None:
    if environments is None:
        return None
    machines = {_machine(environments.get(r)) for r in run_ids}
    if len(machines) != 1 or None in machines:
        return None
    return machines.pop()


def _median(values: list[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return statistics.median(finite) if finite else None


def _check_sources(current: object | None, versus: str | None) -> None:
    """Exactly one of CURRENT and ``versus``: two runs, or the estimators of one run."""
    if current is None and versus is None:
        raise InvalidOptionError("compare needs BASELINE and CURRENT (or one store and --versus ESTIMATOR)")
    if current is not None and versus is not None:
        raise InvalidOptionError(
            "--versus compares the estimators of one store; give only BASELINE, not both BASELINE and CURRENT"
        )


def compare(
    baseline: ResultsInput,
    current: ResultsInput | None = None,
    *,
    versus: str | None = None,
    settings: CompareSettings | None = None,
) -> Comparison:
    """Compare CURRENT against BASELINE, or (``versus``) every other estimator of BASELINE against ``versus``.

    In ``versus`` mode the rows of estimator ``versus`` (one parameter set) are the baseline and each other
    estimator's cell is paired with them by (task id, task version, n, seed); a "regression" then reads as "worse
    than ``versus``".

    Raises:
        InvalidOptionError: both or neither of ``current`` and ``versus``; ``versus`` not in the rows, or stored
            with several parameter sets, or alone.
    """
    import numpy as np
    from scipy import stats

    settings = settings or CompareSettings()
    _check_sources(current, versus)
    base_cells = _cells(baseline.frame)
    if versus is None:
        assert current is not None
        cur_cells = _cells(current.frame)
        pairing = {key: key for key in cur_cells if key in base_cells}
        new = tuple(sorted(key for key in cur_cells if key not in base_cells))
        missing = tuple(sorted(key for key in base_cells if key not in cur_cells))
        base_frame, cur_frame = baseline.frame, current.frame
        base_envs, cur_envs = baseline.environments, current.environments
        current_name = current.name
    else:
        names = sorted({k.estimator for k in base_cells})
        if versus not in names:
            raise InvalidOptionError(
                f"--versus: estimator {versus!r} is not in {baseline.name} (it has {', '.join(names)})"
            )
        hashes = {k.params_hash for k in base_cells if k.estimator == versus}
        if len(hashes) > 1:
            raise InvalidOptionError(
                f"--versus: estimator {versus!r} is stored with {len(hashes)} parameter sets in {baseline.name}; "
                "compare one of them (export and filter the rows)"
            )
        if len(names) < 2:
            raise InvalidOptionError(f"--versus: {baseline.name} holds no estimator other than {versus!r}")
        reference = {(k.task_id, k.task_version, k.n): k for k in base_cells if k.estimator == versus}
        cur_cells = {k: v for k, v in base_cells.items() if k.estimator != versus}
        pairing = {}
        covered = set()
        for key in cur_cells:
            ref = reference.get((key.task_id, key.task_version, key.n))
            if ref is not None:
                pairing[key] = ref
                covered.add(ref)
        new = tuple(sorted(key for key in cur_cells if key not in pairing))
        missing = tuple(sorted(key for key in reference.values() if key not in covered))
        is_ref = baseline.frame[COLUMN.estimator].astype(str) == versus
        base_frame, cur_frame = baseline.frame[is_ref], baseline.frame[~is_ref]
        base_envs = cur_envs = baseline.environments
        current_name = f"other estimators of {baseline.name}"

    # -- per cell --------------------------------------------------------------------------------------------------
    raw: list[dict[str, Any]] = []
    seconds: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for key in sorted(pairing):
        base_seeds, cur_seeds = base_cells[pairing[key]], cur_cells[key]
        common = sorted(set(base_seeds) & set(cur_seeds))
        newly_failed = tuple(s for s in common if base_seeds[s][0] and not cur_seeds[s][0])
        paired = [s for s in common if base_seeds[s][0] and cur_seeds[s][0]]
        truth = cur_seeds[common[0]][2] if common else next(iter(cur_seeds.values()))[2]
        margin = settings.margin(truth)
        times = seconds.setdefault((key.estimator, key.params_hash), ([], []))
        times[0].extend(base_seeds[s][3] for s in paired)
        times[1].extend(cur_seeds[s][3] for s in paired)
        base_err = np.array([abs(base_seeds[s][1] - base_seeds[s][2]) for s in paired])
        cur_err = np.array([abs(cur_seeds[s][1] - cur_seeds[s][2]) for s in paired])
        d = cur_err - base_err
        entry: dict[str, Any] = {
            "key": key,
            "truth": truth,
            "margin": margin,
            "pairs": len(paired),
            "newly_failed_seeds": newly_failed,
            "base_abs_error": float(base_err.mean()) if len(d) else math.nan,
            "cur_abs_error": float(cur_err.mean()) if len(d) else math.nan,
            "mean_diff": float(d.mean()) if len(d) else math.nan,
            "sd_diff": float(d.std(ddof=1)) if len(d) > 1 else math.nan,
            "p_value": None,
            "p_holm": None,
            "min_detectable": None,
        }
        entry["excess"] = entry["mean_diff"] - margin
        if not len(d):
            entry["rule"] = "no pairs"
        elif float(np.ptp(d)) <= 1e-12 * max(1.0, float(np.abs(d).max())):
            entry["rule"] = "no variance"
        else:
            k = len(d)
            entry["rule"] = "t-test"
            entry["p_value"] = float(stats.ttest_1samp(d, popmean=margin, alternative="greater").pvalue)
            entry["min_detectable"] = float(stats.t.ppf(1 - settings.alpha, k - 1) * entry["sd_diff"] / math.sqrt(k))
        raw.append(entry)
    tested = [e for e in raw if e["rule"] == "t-test"]
    for entry, adjusted in zip(tested, holm([e["p_value"] for e in tested]), strict=True):
        entry["p_holm"] = adjusted
    cells = []
    for entry in raw:
        if entry["rule"] == "t-test":
            worse = entry["p_holm"] <= settings.alpha
        elif entry["rule"] == "no variance":
            worse = entry["excess"] > 0
        else:
            worse = False
        cells.append(CellComparison(**entry, regression=bool(worse or entry["newly_failed_seeds"])))

    # -- per estimator ---------------------------------------------------------------------------------------------
    machine_base = _side_machine(base_envs, set(run_ids(base_frame)))
    machine_cur = _side_machine(cur_envs, set(run_ids(cur_frame)))
    comparable = machine_base is not None and machine_base == machine_cur
    if baseline.environments is None or (current is not None and current.environments is None):
        note = "Times not gated: an exported results file records no machine"
    elif not comparable:
        note = "Times not gated: the runs' recorded machines differ (or are missing)"
    elif settings.time_factor is None:
        note = "Times not gated (no time factor given); both sides ran on the same machine"
    else:
        note = f"Times gated at {settings.time_factor:g}x: both sides ran on the same machine"
    gated = comparable and settings.time_factor is not None

    groups: dict[tuple[str, str], list[CellComparison]] = {}
    for cell in cells:
        groups.setdefault((cell.key.estimator, cell.key.params_hash), []).append(cell)
    pooled: list[dict[str, Any]] = []
    for (name, phash), members in sorted(groups.items()):
        excess = [c.excess for c in members if c.pairs]
        base_t, cur_t = seconds[(name, phash)]
        base_med, cur_med = _median(base_t), _median(cur_t)
        ratio = cur_med / base_med if base_med and cur_med is not None else None
        pooled.append(
            {
                "estimator": name,
                "params_hash": phash,
                "cells": len(excess),
                "mean_excess": float(np.mean(excess)) if excess else math.nan,
                "p_value": sign_flip_p_value(excess, settings.permutations, settings.seed) if excess else None,
                "p_holm": None,
                "base_median_seconds": base_med,
                "cur_median_seconds": cur_med,
                "time_ratio": ratio,
                "time_regression": bool(gated and ratio is not None and ratio > (settings.time_factor or math.inf)),
            }
        )
    with_p = [e for e in pooled if e["p_value"] is not None]
    for entry, adjusted in zip(with_p, holm([e["p_value"] for e in with_p]), strict=True):
        entry["p_holm"] = adjusted
    estimators = tuple(
        EstimatorComparison(**e, regression=e["p_holm"] is not None and e["p_holm"] <= settings.alpha) for e in pooled
    )
    return Comparison(
        baseline=baseline.name,
        current=current_name,
        versus=versus,
        settings=settings,
        cells=tuple(cells),
        estimators=estimators,
        new_cells=new,
        missing_cells=missing,
        newly_failing=tuple(c.key for c in cells if c.newly_failed_seeds),
        time_gated=gated,
        time_note=note,
    )


def compare_files(
    baseline: PathLike,
    current: PathLike | None = None,
    *,
    versus: str | None = None,
    settings: CompareSettings | None = None,
    suite: str | None = None,
) -> Comparison:
    """:func:`compare` of the stores or export files at these paths (see :func:`load_input`; ``suite`` selects
    the jobs of one suite in each store); the choice between CURRENT and ``versus`` is checked before anything is
    read."""
    _check_sources(current, versus)
    return compare(
        load_input(baseline, suite),
        None if current is None else load_input(current, suite),
        versus=versus,
        settings=settings,
    )


# ---------------------------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def comparison_json(comparison: Comparison) -> str:
    """The whole comparison as JSON (non-finite numbers as ``null``), plus ``regressed``."""
    data = dataclasses.asdict(comparison)
    data["regressed"] = comparison.regressed
    return json.dumps(_plain(data), indent=1)


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _block(title: str, body: str, collapsible: bool) -> str:
    if collapsible:
        return f"<details><summary>{title}</summary>\n\n{body}\n\n</details>"
    return f"### {title}\n\n{body}"


def comparison_markdown(comparison: Comparison, *, max_rows: int = 50, github: bool = False) -> str:
    """The comparison as Markdown (at most ``max_rows`` rows per table, regressions first, with the totals). With
    ``github``, a one-line summary comes first and the long tables are collapsible ``<details>`` (a GitHub job
    summary). The text stays under :data:`MAX_MARKDOWN_BYTES`."""
    c, s = comparison, comparison.settings
    worse = f"worse than {c.versus}" if c.versus else "regressed"
    n_reg = len(c.cell_regressions)
    summary = (
        f"{'❌' if c.regressed else '✅'} mibench compare: "
        + (
            f"{n_reg} cell(s) {worse}, {len(c.newly_failing)} newly failing, "
            f"{len(c.estimator_regressions)} estimator(s) {worse} (pooled), {len(c.time_regressions)} too slow"
            if c.regressed
            else (f"nothing {worse}" if c.versus else "no regressions")
        )
        + f" ({len(c.cells)} cells compared, {len(c.new_cells)} new, {len(c.missing_cells)} missing)"
    )
    out: list[str] = []
    if github:
        out.append(f"**{summary}**\n")
    title = f"mibench compare: estimators versus {c.versus}" if c.versus else "mibench compare"
    out.append(f"## {title}\n")
    if c.versus:
        out.append(f"Store: `{c.baseline}`. Reference: `{c.versus}`; each other estimator is CURRENT.\n")
    else:
        out.append(f"BASELINE: `{c.baseline}`  \nCURRENT: `{c.current}`\n")
    if not github:
        out.append(f"**{summary}**\n")
    out.append(
        f"Per cell, d = \\|current - truth\\| - \\|baseline - truth\\| (nats) on the seeds ok in both; margin m = "
        f"max({s.margin_abs:g}, {s.margin_rel:g} x truth). A cell is flagged when a one-sided paired t-test of "
        f"mean(d) > m is significant at alpha = {s.alpha:g} after Holm's correction, or (all d equal) when "
        f"mean(d) > m, or when a seed ok in the baseline failed. *detectable* is the smallest mean(d) - m the "
        f"cell's test could detect (t(1-alpha, k-1) x SD / sqrt(k)). Pooled: sign-flip permutation test of the "
        f"cells' mean(d) - m per estimator ({s.permutations} flips, seed {s.seed}), Holm across estimators. "
        f"{c.time_note}.\n"
    )
    # estimators
    rows = []
    for e in sorted(c.estimators, key=lambda e: (not (e.regression or e.time_regression), e.estimator)):
        flag = ", ".join(x for x, on in ((worse, e.regression), ("too slow", e.time_regression)) if on) or "ok"
        rows.append(
            [
                f"`{e.estimator}`",
                e.params_hash[:8],
                str(e.cells),
                _num(e.mean_excess),
                _p(e.p_value),
                _p(e.p_holm),
                "-" if e.time_ratio is None else f"{e.time_ratio:.2f}",
                flag,
            ]
        )
    headers = ["estimator", "params", "cells", "mean d - m (nats)", "p", "p (Holm)", "time cur/base", "verdict"]
    shown = rows[:max_rows]
    more = f"\n\n{len(rows) - len(shown)} more estimator(s) not shown." if len(rows) > len(shown) else ""
    out.append(_block(f"Estimators, pooled ({len(rows)})", _table(headers, shown) + more, False) + "\n")
    # cells
    ordered = sorted(c.cells, key=lambda x: (not x.regression, -(x.excess if math.isfinite(x.excess) else -math.inf)))
    rows = []
    for x in ordered[:max_rows]:
        verdict = worse if x.regression else "ok"
        if x.newly_failed_seeds:
            verdict += f" (seeds failing now: {', '.join(map(str, x.newly_failed_seeds[:5]))})"
        rows.append(
            [
                f"`{x.key.task_id}`",
                f"`{x.key.estimator}`",
                str(x.key.n),
                str(x.pairs),
                _num(x.base_abs_error),
                _num(x.cur_abs_error),
                _num(x.mean_diff),
                _num(x.margin),
                x.rule,
                _p(x.p_holm),
                _num(x.min_detectable),
                verdict,
            ]
        )
    headers = ["task", "estimator", "n", "pairs", "base err", "cur err", "mean d", "m", "rule", "p (Holm)",
               "detectable", "verdict"]  # fmt: skip
    more = (
        f"\n\nShowing {len(rows)} of {len(c.cells)} cells ({n_reg} flagged), flagged first."
        if len(c.cells) > len(rows)
        else ""
    )
    body = _table(headers, rows) + more if rows else "No cells in common."
    out.append(_block(f"Cells ({len(c.cells)}; {n_reg} {worse})", body, github and len(rows) > 10) + "\n")
    # lists
    for label, keys in (
        ("Newly failing cells", c.newly_failing),
        ("New cells (only in CURRENT)", c.new_cells),
        ("Missing cells (only in BASELINE)", c.missing_cells),
    ):
        if not keys:
            continue
        items = "\n".join(f"- `{k.label()}`" for k in keys[:max_rows])
        if len(keys) > max_rows:
            items += f"\n- ... and {len(keys) - max_rows} more"
        out.append(_block(f"{label} ({len(keys)})", items, github and len(keys) > 10) + "\n")
    text = "\n".join(out)
    if len(text.encode()) > MAX_MARKDOWN_BYTES:  # only with a huge max_rows: keep the summary and say so
        text = text.encode()[: MAX_MARKDOWN_BYTES - 200].decode(errors="ignore")
        text += "\n\n(cut to fit 1 MiB; use --json for everything)\n"
    return text
