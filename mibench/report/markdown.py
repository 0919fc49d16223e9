"""A self-contained Markdown report of a results table: summary, failures, scores, machine and environment,
efficiency, figure."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mibench.units import nats_to_bits

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.runner.environment import Environment

__all__ = ["FIGURE_NAME", "REPORT_NAME", "SCORES_NAME", "write_report"]

REPORT_NAME = "report.md"
#: Rows of this task family are network tasks, whose information planes get a section of their own.
NETWORK_FAMILY = "network"
FIGURE_NAME = "estimate_vs_truth.png"
SCORES_NAME = "scores.csv"

_MAX_FAILURES_LISTED = 50
_MAX_MESSAGE_CHARS = 200
_REL_TOL = 0.1  # sample-efficiency tolerance: max(_REL_TOL * truth, _ABS_TOL nats)
_ABS_TOL = 0.05


def _first_line(message: object, limit: int = _MAX_MESSAGE_CHARS) -> str:
    """The first non-empty line of a message, truncated to ``limit`` characters, safe in inline code."""
    if message is None or (isinstance(message, float) and message != message):  # None or NaN
        return "(no message)"
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    if not lines:
        return "(no message)"
    line = lines[0].replace("`", "'")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _distinct(results: pd.DataFrame, column: str) -> list[str]:
    """Sorted distinct non-null values of ``column`` as strings (empty if the column is absent)."""
    if column not in results.columns:
        return []
    return sorted({str(v) for v in results[column].dropna()})


def _failures_section(results: pd.DataFrame) -> list[str]:
    from mibench import scoring as s

    failed = results[results[s.STATUS] != s.STATUS_OK]
    if failed.empty:
        return ["No failed jobs."]
    sort_keys = [c for c in (s.TASK_ID, s.ESTIMATOR, s.N, s.SEED) if c in failed.columns]
    failed = failed.sort_values(sort_keys, kind="stable")
    # One line per (task, estimator, status): a systematic failure (an estimator that cannot handle a task) shows
    # once with its count, sample sizes and the first message, instead of once per seed.
    groups = failed.groupby([s.TASK_ID, s.ESTIMATOR, s.STATUS], sort=False)
    lines = [
        f"{len(failed)} of {len(results)} jobs failed (status other than `ok`), in {groups.ngroups} group(s) of "
        "task, estimator and status; the first message of each group is shown:",
        "",
    ]
    for (task_id, estimator, status), group in list(groups)[:_MAX_FAILURES_LISTED]:
        sizes = ", ".join(str(n) for n in sorted(set(group[s.N])))
        message = _first_line(group[s.ERROR].iloc[0]) if s.ERROR in group.columns else "(no message)"
        lines.append(f"- `{task_id}` · `{estimator}` · **{status}** × {len(group)} (n = {sizes}): `{message}`")
    if groups.ngroups > _MAX_FAILURES_LISTED:
        lines.append(f"- … and {groups.ngroups - _MAX_FAILURES_LISTED} more groups (see the results table).")
    return lines


def _environment_section(results: pd.DataFrame, environments: Mapping[str, Environment | None]) -> list[str]:
    """The distinct machines and environments of the runs whose rows are in ``results``, each with its runs."""
    from mibench import scoring as s

    runs = _distinct(results, s.RUN_ID)
    groups: dict[tuple[tuple[str, str], ...] | None, list[str]] = {}
    for run_id in runs:
        environment = environments.get(run_id)
        described = None if environment is None else tuple(environment.describe().items())
        groups.setdefault(described, []).append(run_id)
    if not groups:
        return ["No run is recorded for these results."]
    lines = [
        "Timings and memory above were measured on the following machine(s) and software, as recorded when each "
        "run started (BLAS/OpenMP threads as seen by the coordinating process; each worker caps its own at "
        "usable cores ÷ jobs).",
        "",
    ]
    known = [(described, ids) for described, ids in groups.items() if described is not None]
    for number, (described, ids) in enumerate(known, start=1):
        shown = ", ".join(f"`{r}`" for r in ids[:5]) + (" …" if len(ids) > 5 else "")
        heading = f"Environment {number}" if len(known) > 1 else "Environment"
        lines.append(f"- **{heading}** ({len(ids)} run(s): {shown})")
        lines += [f"  - {name}: {_escape_inline(value)}" for name, value in described]
    if None in groups:
        ids = groups[None]
        shown = ", ".join(f"`{r}`" for r in ids[:5]) + (" …" if len(ids) > 5 else "")
        lines.append(f"- No environment recorded for {len(ids)} run(s) ({shown}): made before mibench recorded it.")
    return lines


def _escape_inline(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


def write_report(
    results: pd.DataFrame,
    out_dir: str | Path,
    *,
    title: str = "mibench report",
    bits: bool = False,
    environments: Mapping[str, Environment | None] | None = None,
    records_dirs: Sequence[str | Path] = (),
) -> Path:
    """Write a Markdown report of a results table, with its figure and the scores as CSV.

    Files written in ``out_dir`` (created if needed):

    * ``report.md``: the title, generation time (UTC), the mibench version(s) recorded in the results, the
      number of jobs by status, the failed jobs grouped by (task, estimator, status) with their count, sample
      sizes and the first line of the first message (truncated; at most 50 groups listed), the scores table
      (:func:`mibench.report.tables.scores_markdown`), the sample-efficiency table
      (default tolerances of :func:`mibench.scoring.sample_efficiency`), the machine and environment of the
      runs (when ``environments`` is given) and the figure, embedded by relative path;
    * ``estimate_vs_truth.png``: :func:`mibench.report.figures.plot_estimate_vs_truth`;
    * ``scores.csv``: the full output of :func:`mibench.scoring.score`, always in nats.

    Args:
        results: the results table, one row per job.
        out_dir: the folder to write into.
        title: the report's top-level heading.
        bits: show MI values in bits (divided by ``ln 2``) in the report's tables and figure; the CSV stays
            in nats.
        environments: the recorded environment of each run, by run id (``None`` for a run without one), e.g.
            from :func:`mibench.runner.results.run_environments`; the section "Machine and environment" lists
            the distinct ones among the runs of ``results``. Left out when not given.
        records_dirs: where to find the training records of network tasks (e.g. from
            :func:`mibench.runner.results.run_records_dirs`). When ``results`` holds network tasks, the report gets
            an "Information planes" section (:func:`mibench.report.information_plane.information_plane_section`:
            exact and estimated planes, fidelity and findings, under ``out_dir/information-plane/``).

    Returns:
        The path of ``report.md``.

    Raises:
        ValueError: ``results`` is empty or lacks a required column (see :func:`mibench.scoring.score`).
    """
    from mibench import scoring as s
    from mibench.report.figures import plot_estimate_vs_truth
    from mibench.report.tables import efficiency_markdown, scores_markdown

    scores = s.score(results)  # validates the input before anything is written
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    unit = "bits" if bits else "nats"
    factor = nats_to_bits(1.0) if bits else 1.0

    scores.to_csv(out_dir / SCORES_NAME, index=False)
    plot_estimate_vs_truth(results, out_dir / FIGURE_NAME, bits=bits)
    efficiency = s.sample_efficiency(scores, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)

    generated = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    versions = _distinct(results, s.MIBENCH_VERSION)
    runs = _distinct(results, s.RUN_ID)
    counts = results[s.STATUS].value_counts()
    by_status = ", ".join(f"{status} {int(counts[status])}" for status in sorted(counts.index, key=str))
    level = float(scores[s.CONFIDENCE].iloc[0])

    lines = [
        f"# {title}",
        "",
        f"- Generated: {generated}",
        f"- mibench version (from the results): {', '.join(versions) if versions else 'unknown'}",
        f"- Jobs: {len(results)} ({by_status})",
    ]
    if runs:
        shown = ", ".join(f"`{r}`" for r in runs[:5]) + (" …" if len(runs) > 5 else "")
        lines.append(f"- Runs: {len(runs)} ({shown})")
    lines += [
        f"- Tasks: {results[s.TASK_ID].nunique()}; estimator configurations: "
        f"{results[[s.ESTIMATOR, s.PARAMS_HASH]].drop_duplicates().shape[0]}; sample sizes: "
        f"{', '.join(str(int(n)) for n in sorted(results[s.N].unique()))}",
        f"- Units: MI values in {unit}; `{SCORES_NAME}` holds every score in nats.",
        "",
        "## Failures",
        "",
        *_failures_section(results),
        "",
        "## Scores",
        "",
        "Per task, estimator and sample size n, over independent seeds (successful jobs only): mean "
        f"estimate, bias = mean − true MI with its {level * 100:g}% Student-t interval from the seeds, SD "
        "across seeds (ddof = 1), RMSE, and mean |log(estimate / true MI)|. *significant bias* means the "
        "interval, widened by the truth's own standard error, excludes 0. `nan` marks a value that is "
        "undefined (e.g. an SD from one seed); `inf` a log ratio with an estimate ≤ 0.",
        "",
        scores_markdown(scores, bits=bits),
        "",
    ]
    if environments is not None:
        lines += ["## Machine and environment", "", *_environment_section(results, environments), ""]
    if (results[s.FAMILY] == NETWORK_FAMILY).any():
        from mibench.report.information_plane import information_plane_section

        network_rows = results[results[s.FAMILY] == NETWORK_FAMILY]
        lines += information_plane_section(network_rows, out_dir, [Path(d) for d in records_dirs])
    lines += [
        "## Sample efficiency",
        "",
        f"The smallest n from which |bias| ≤ max({_REL_TOL:g} × true MI, {_ABS_TOL * factor:.4g} {unit}) "
        "holds at that n and at every larger n measured.",
        "",
        efficiency_markdown(efficiency, bits=bits),
        "",
        "## Estimate vs truth",
        "",
        f"![Mean estimate (error bars: SD across seeds) against the true MI, {unit}]({FIGURE_NAME})",
        "",
    ]
    report = out_dir / REPORT_NAME
    report.write_text("\n".join(lines), encoding="utf-8")
    return report
