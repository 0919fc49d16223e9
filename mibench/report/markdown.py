"""The report of a results table, written twice from one document: ``report.md`` (Markdown) and a
self-contained ``index.html``, with the figures and the full per-cell scores as CSV.

The report reads summary first: which estimators get within tolerance of the truth at each sample size, the
best estimator of each task family and an overall ranking with families weighted equally
(:mod:`mibench.report.summary`); then the failures, the machine and environment, the figures and the detail.
The per-cell table (one row per task, estimator configuration and n) is in ``scores.csv`` and, collapsed, in
``index.html``, never in ``report.md``, which stays small however large the suite.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mibench.units import nats_to_bits

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.report.document import Block
    from mibench.report.figures import FigureOutcome
    from mibench.report.summary import ReportSummary, Tolerance
    from mibench.runner.environment import Environment

__all__ = ["FIGURE_NAME", "HTML_NAME", "REPORT_NAME", "SCORES_NAME", "write_report"]

REPORT_NAME = "report.md"
HTML_NAME = "index.html"
#: Rows of this task family are network tasks, whose information planes get a section of their own.
NETWORK_FAMILY = "network"
#: The first figure (estimate vs truth by family); all of them are in mibench.report.figures.FIGURE_FILES.
FIGURE_NAME = "estimate_vs_truth.png"
SCORES_NAME = "scores.csv"

_MAX_FAILURES_LISTED = 50
_MAX_MESSAGE_CHARS = 200


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


def _escape_inline(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


def _code(text: object) -> str:
    return f"`{_escape_inline(str(text))}`"


def _percent(share: float, digits: int = 0) -> str:
    """``0.456 -> "46%"``; NaN (nothing to count) is a dash."""
    return "–" if share != share else f"{100 * share:.{digits}f}%"


def _number(value: float, factor: float = 1.0) -> str:
    """A value to 3 significant digits (times ``factor``, e.g. nats to bits); NaN is a dash."""
    return "–" if value != value else format(value * factor, ".3g")


# ------------------------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------------------------


def white_box_estimators(results: pd.DataFrame) -> list[str]:
    """The estimators that ran white-box on at least one job of ``results`` (their stored info says
    ``"white_box": true``: the runner passed them a channel task's clean values), sorted."""
    from mibench import scoring as s

    if results.empty or "info" not in results.columns:
        return []
    marked = results[results["info"].astype(str).str.contains('"white_box": true', regex=False)]
    return sorted({str(name) for name in marked[s.ESTIMATOR]})


def _summary_blocks(summary: ReportSummary, *, bits: bool) -> list[Block]:
    """Per estimator across tasks (share within tolerance at each n, error, failures, time) and the ranking."""
    from mibench.report.document import Heading, Paragraph, Table

    unit = "bits" if bits else "nats"
    factor = nats_to_bits(1.0) if bits else 1.0
    sizes = summary.sizes
    best_at = {
        n: max((e.share_within.get(n, -1.0) for e in summary.estimators), default=-1.0) for n in sizes
    }  # the highest share at each n is shown in bold

    def share_cell(share: float | None, n: int) -> str:
        if share is None:
            return "–"
        text = _percent(share)
        return f"**{text}**" if share == best_at[n] and share > 0 else text

    rows = []
    for e in summary.estimators:
        rows.append(
            (
                _code(e.label),
                str(e.tasks),
                *(share_cell(e.share_within.get(n), n) for n in sizes),
                _number(e.median_abs_error, factor),
                str(e.largest_n),
                _percent(e.failure_rate, 1),
                _number(e.median_seconds),
            )
        )
    headers = (
        "estimator",
        "tasks",
        *(f"n = {n}" for n in sizes),
        f"median abs error ({unit})",
        "at n",
        "failed jobs",
        "median time (s)",
    )
    numeric = (False, *(True,) * (len(headers) - 1))
    blocks: list[Block] = [
        Paragraph(f"Tolerance: {summary.tolerance.describe(bits=bits)}."),
        Paragraph(
            "Per estimator: columns *n = …* give the share of the tasks it ran at that n whose cell is within "
            "tolerance (the best share at each n in bold; – where it did not run at that n); *median abs error* is "
            f"the median over its tasks of |mean estimate − truth| ({unit}) and *median time* the median of the "
            "cells' median seconds per job, both at its largest n (*at n*); *failed jobs* counts every n."
        ),
        Table(headers, tuple(rows), numeric),
        Heading(3, "Overall ranking"),
        Paragraph(
            "Task families weigh equally: an estimator's score in a family is the share of its cells there (every "
            "task and n it ran) within tolerance, and its score is the mean of its family scores over the families "
            "it ran on. Counting every cell alike (the *pooled* column) would let the families with the most "
            "tasks decide the ranking. Ties go to the smaller mean of its family median absolute errors."
        ),
    ]
    ranking_rows = tuple(
        (
            str(r.rank),
            _code(r.label),
            _percent(r.score, 1),
            _percent(r.pooled_share, 1),
            f"{r.families}/{len(summary.families)}",
            _number(r.mean_abs_error, factor),
        )
        for r in summary.ranking
    )
    blocks.append(
        Table(
            (
                "rank",
                "estimator",
                "score (families weigh equally)",
                "pooled (cells weigh equally)",
                "families",
                f"mean family median abs error ({unit})",
            ),
            ranking_rows,
            (True, False, True, True, True, True),
        )
    )
    return blocks


def _families_blocks(summary: ReportSummary, *, bits: bool) -> list[Block]:
    """One row per task family: its best estimator and every estimator's share within tolerance there."""
    from mibench.report.document import Paragraph, Table

    unit = "bits" if bits else "nats"
    factor = nats_to_bits(1.0) if bits else 1.0
    labels = [e.label for e in summary.estimators]
    rows = []
    for family in summary.families:
        best = family.best
        shares = []
        for label in labels:
            score = family.score_of(label)
            if score is None:
                shares.append("–")
            else:
                text = _percent(score.share_within)
                shares.append(f"**{text}**" if score.label == best.label else text)
        rows.append(
            (
                _code(family.family),
                str(family.tasks),
                _code(best.label),
                _number(best.median_abs_error, factor),
                *shares,
            )
        )
    headers = ("family", "tasks", "best estimator", f"its median abs error ({unit})", *labels)
    return [
        Paragraph(
            "For each task family, the share of each estimator's cells (every task of the family and every n it "
            "ran) within tolerance; the best estimator has the highest share (ties: the smaller median absolute "
            "error over the same cells) and is in bold. – marks an estimator that did not run on the family."
        ),
        Table(headers, tuple(rows), (False, True, False, True, *(True,) * len(labels))),
    ]


def _failures_blocks(results: pd.DataFrame) -> list[Block]:
    from mibench import scoring as s
    from mibench.report.document import BulletList, ListItem, Paragraph, Table

    failed = results[results[s.STATUS] != s.STATUS_OK]
    if failed.empty:
        return [Paragraph("No failed jobs.")]
    sort_keys = [c for c in (s.TASK_ID, s.ESTIMATOR, s.N, s.SEED) if c in failed.columns]
    failed = failed.sort_values(sort_keys, kind="stable")
    counts = failed.groupby([s.ESTIMATOR, s.STATUS]).size()
    jobs = results.groupby(s.ESTIMATOR).size()
    by_estimator = Table(
        ("estimator", "status", "failed jobs", "of its jobs"),
        tuple(
            (_code(estimator), status, str(int(count)), str(int(jobs[estimator])))
            for (estimator, status), count in counts.items()
        ),
        (False, False, True, True),
    )
    # One line per (task, estimator, status): a systematic failure (an estimator that cannot handle a task) shows
    # once with its count, sample sizes and the first message, instead of once per seed.
    groups = failed.groupby([s.TASK_ID, s.ESTIMATOR, s.STATUS], sort=False)
    items = []
    for (task_id, estimator, status), group in list(groups)[:_MAX_FAILURES_LISTED]:
        sizes = ", ".join(str(n) for n in sorted(set(group[s.N])))
        message = _first_line(group[s.ERROR].iloc[0]) if s.ERROR in group.columns else "(no message)"
        items.append(ListItem(f"`{task_id}` · `{estimator}` · **{status}** × {len(group)} (n = {sizes}): `{message}`"))
    if groups.ngroups > _MAX_FAILURES_LISTED:
        items.append(ListItem(f"… and {groups.ngroups - _MAX_FAILURES_LISTED} more groups (see the results table)."))
    return [
        Paragraph(
            f"{len(failed)} of {len(results)} jobs failed (status other than `ok`), in {groups.ngroups} group(s) of "
            "task, estimator and status. By estimator and status:"
        ),
        by_estimator,
        Paragraph("The groups, with the first message of each:"),
        BulletList(tuple(items)),
    ]


def _environment_blocks(results: pd.DataFrame, environments: Mapping[str, Environment | None]) -> list[Block]:
    """The distinct machines and environments of the runs whose rows are in ``results``, each with its runs."""
    from mibench import scoring as s
    from mibench.report.document import BulletList, ListItem, Paragraph

    runs = _distinct(results, s.RUN_ID)
    groups: dict[tuple[tuple[str, str], ...] | None, list[str]] = {}
    for run_id in runs:
        environment = environments.get(run_id)
        described = None if environment is None else tuple(environment.describe().items())
        groups.setdefault(described, []).append(run_id)
    if not groups:
        return [Paragraph("No run is recorded for these results.")]
    items = []
    known = [(described, ids) for described, ids in groups.items() if described is not None]
    for number, (described, ids) in enumerate(known, start=1):
        shown = ", ".join(f"`{r}`" for r in ids[:5]) + (" …" if len(ids) > 5 else "")
        heading = f"Environment {number}" if len(known) > 1 else "Environment"
        children = tuple(f"{name}: {_escape_inline(value)}" for name, value in described)
        items.append(ListItem(f"**{heading}** ({len(ids)} run(s): {shown})", children))
    if None in groups:
        ids = groups[None]
        shown = ", ".join(f"`{r}`" for r in ids[:5]) + (" …" if len(ids) > 5 else "")
        items.append(
            ListItem(f"No environment recorded for {len(ids)} run(s) ({shown}): made before mibench recorded it.")
        )
    return [
        Paragraph(
            "Timings and memory in this report were measured on the following machine(s) and software, as recorded "
            "when each run started (BLAS/OpenMP threads as seen by the coordinating process; each worker caps its "
            "own at usable cores ÷ jobs)."
        ),
        BulletList(tuple(items)),
    ]


def _figures_blocks(outcomes: Sequence[FigureOutcome]) -> list[Block]:
    from mibench.report.document import Heading, Image, Paragraph

    blocks: list[Block] = []
    for outcome in outcomes:
        blocks.append(Heading(3, outcome.title))
        if outcome.path is None:
            blocks.append(Paragraph(outcome.skipped or "Not drawn."))
        else:
            blocks.append(Image(src=outcome.name, alt=outcome.title, caption=outcome.caption))
    return blocks


def _details_blocks(scores: pd.DataFrame, summary: ReportSummary, *, bits: bool) -> list[Block]:
    """Where every cell is, the sample-efficiency counts, and (in HTML only) the per-cell and per-task tables."""
    import pandas as pd

    from mibench import scoring as s
    from mibench.report import summary as sm
    from mibench.report.document import Details, Heading, Paragraph, Table
    from mibench.report.tables import as_table, scores_frame

    unit = "bits" if bits else "nats"
    factor = nats_to_bits(1.0) if bits else 1.0
    level = float(scores[s.CONFIDENCE].iloc[0])
    sizes = summary.sizes
    efficiency_rows = tuple(
        (
            _code(e.label),
            str(e.tasks),
            *(str(e.reached.get(n, 0)) for n in sizes),
            str(e.never),
        )
        for e in summary.efficiency_counts
    )
    per_task = summary.efficiency
    per_task_frame = pd.DataFrame(
        {
            "task": per_task[sm.TASK_LABEL].astype(str),
            "family": per_task[s.FAMILY].astype(str),
            "estimator": per_task[sm.LABEL].astype(str),
            f"true MI ({unit})": per_task[s.TRUE_MI].astype(float) * factor,
            "smallest n within tolerance": [
                "never" if v != v else str(int(v)) for v in per_task[s.MIN_N].astype(float)
            ],
            "largest n measured": per_task[s.MAX_N].astype("int64"),
        }
    )
    return [
        Paragraph(
            f"`{SCORES_NAME}` holds every cell ({len(scores)} rows: task × estimator configuration × n, over "
            f"seeds), always in nats: mean estimate, bias with its {level * 100:g}% Student-t interval from the "
            "seeds, SD across seeds (ddof = 1), RMSE, mean |log(estimate / truth)|, failure rate, median seconds "
            "and peak memory. *significant bias* means the interval, widened by the truth's own standard error, "
            "excludes 0."
        ),
        Heading(3, "Sample efficiency"),
        Paragraph(
            "How many of each estimator's tasks first stay within tolerance from each n: within at that n and at "
            "every larger n measured (*never*: not within at its largest n)."
        ),
        Table(
            ("estimator", "tasks", *(f"from n = {n}" for n in sizes), "never"),
            efficiency_rows,
            (False, *(True,) * (len(sizes) + 2)),
        ),
        Details(
            summary=f"Per-cell scores ({len(scores)} rows)",
            blocks=(
                Paragraph(
                    f"One row per task, estimator configuration and n, over the successful seeds, in {unit}; "
                    "`nan` marks an undefined value (e.g. an SD from one seed), `inf` a log ratio with an estimate "
                    "≤ 0; *failed* is failed jobs / jobs."
                ),
                as_table(scores_frame(scores, bits=bits)),
            ),
            note=f"The per-cell table is not repeated here: it is in `{SCORES_NAME}` and, collapsed, in `{HTML_NAME}`.",
        ),
        Details(
            summary=f"Sample efficiency per task and estimator ({len(per_task_frame)} rows)",
            blocks=(as_table(per_task_frame),),
        ),
    ]


# ------------------------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------------------------


def write_report(
    results: pd.DataFrame,
    out_dir: str | Path,
    *,
    title: str = "mibench report",
    bits: bool = False,
    environments: Mapping[str, Environment | None] | None = None,
    records_dirs: Sequence[str | Path] = (),
    tolerance: Tolerance | None = None,
) -> Path:
    """Write the report of a results table: ``report.md``, ``index.html``, the figures and ``scores.csv``.

    Files written in ``out_dir`` (created if needed):

    * ``report.md``: the title; generation time (UTC), the mibench version(s) recorded in the results, jobs by
      status, runs, tasks, estimator configurations and sample sizes; then the sections *Summary* (per
      estimator: share of tasks within tolerance at each n, median absolute error, failed jobs and median time;
      the overall ranking with task families weighted equally; :mod:`mibench.report.summary`), *Task families*
      (the best estimator of each family and every estimator's share there), *Failures* (grouped by task,
      estimator and status with their count, sample sizes and the first line of the first message, truncated;
      at most 50 groups listed), *Machine and environment* (when ``environments`` is given), *Figures*
      (:func:`mibench.report.figures.write_figures`; a figure the data cannot support says why), *Information
      planes* (for network tasks) and *Details* (sample efficiency; where every cell is). It holds no per-cell
      table, so its size does not grow with the number of tasks;
    * ``index.html``: the same document as one self-contained page (inline CSS, figures embedded as base64, no
      script, no network resource), sections with the ids ``summary``, ``families``, ``failures``,
      ``environment``, ``figures``, ``information-planes`` and ``details``, plus the per-cell scores and the
      per-task sample efficiency in collapsible ``<details>`` elements;
    * the figures (:data:`mibench.report.figures.FIGURE_FILES`, PNG);
    * ``scores.csv``: the full output of :func:`mibench.scoring.score`, every cell, always in nats.

    Args:
        results: the results table, one row per job.
        out_dir: the folder to write into.
        title: the report's top-level heading.
        bits: show MI values in bits (divided by ``ln 2``) in the report's tables and figures; the CSV stays
            in nats.
        environments: the recorded environment of each run, by run id (``None`` for a run without one), e.g.
            from :func:`mibench.runner.results.run_environments`; the section "Machine and environment" lists
            the distinct ones among the runs of ``results``. Left out when not given.
        records_dirs: where to find the training records of network tasks (e.g. from
            :func:`mibench.runner.results.run_records_dirs`). When ``results`` holds network tasks, the report gets
            an "Information planes" section (:func:`mibench.report.information_plane.information_plane_section`:
            exact and estimated planes, fidelity and findings, under ``out_dir/information-plane/``).
        tolerance: when a cell counts as close to the truth (default
            :class:`mibench.report.summary.Tolerance`: within max(10 % of the truth, 0.05 nats) and a factor 1.5).

    Returns:
        The path of ``report.md``.

    Raises:
        ValueError: ``results`` is empty or lacks a required column (see :func:`mibench.scoring.score`).
    """
    from mibench import scoring as s
    from mibench.report.document import (
        BulletList,
        Document,
        ListItem,
        Section,
        blocks_from_markdown,
        render_html,
        render_markdown,
    )
    from mibench.report.figures import write_figures
    from mibench.report.latent_figure import latent_figures
    from mibench.report.summary import summarize

    scores = s.score(results)  # validates the input before anything is written
    summary = summarize(scores, tolerance)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    unit = "bits" if bits else "nats"

    scores.to_csv(out_dir / SCORES_NAME, index=False)
    figures = write_figures(summary.cells, out_dir, bits=bits) + latent_figures(summary.cells, out_dir, bits=bits)

    generated = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    versions = _distinct(results, s.MIBENCH_VERSION)
    runs = _distinct(results, s.RUN_ID)
    counts = results[s.STATUS].value_counts()
    by_status = ", ".join(f"{status} {int(counts[status])}" for status in sorted(counts.index, key=str))
    facts = [
        f"Generated: {generated}",
        f"mibench version (from the results): {', '.join(versions) if versions else 'unknown'}",
        f"Jobs: {len(results)} ({by_status})",
    ]
    if runs:
        shown = ", ".join(f"`{r}`" for r in runs[:5]) + (" …" if len(runs) > 5 else "")
        facts.append(f"Runs: {len(runs)} ({shown})")
    facts += [
        f"Tasks: {results[s.TASK_ID].nunique()} in {results[s.FAMILY].nunique()} families; estimator "
        f"configurations: {results[[s.ESTIMATOR, s.PARAMS_HASH]].drop_duplicates().shape[0]}; sample sizes: "
        f"{', '.join(str(n) for n in summary.sizes)}",
        f"Units: MI values in {unit}; `{SCORES_NAME}` holds every score in nats; `{HTML_NAME}` is this report as "
        "one page, with the per-cell tables.",
    ]
    white_box = white_box_estimators(results)
    if white_box:
        facts.append(
            "White-box estimators: "
            + ", ".join(_code(name) for name in white_box)
            + ". On noisy-channel tasks they read the clean values and the channel's noise level, which the others "
            "never see; compare them with each other rather than with black-box estimators."
        )

    sections: list[Block] = [
        BulletList(tuple(ListItem(fact) for fact in facts)),
        Section("summary", "Summary", tuple(_summary_blocks(summary, bits=bits))),
        Section("families", "Task families", tuple(_families_blocks(summary, bits=bits))),
        Section("failures", "Failures", tuple(_failures_blocks(results))),
    ]
    if environments is not None:
        sections.append(
            Section("environment", "Machine and environment", tuple(_environment_blocks(results, environments)))
        )
    sections.append(Section("figures", "Figures", tuple(_figures_blocks(figures))))
    if (results[s.FAMILY] == NETWORK_FAMILY).any():
        from mibench.report.information_plane import information_plane_section

        network_rows = results[results[s.FAMILY] == NETWORK_FAMILY]
        lines = information_plane_section(network_rows, out_dir, [Path(d) for d in records_dirs])
        sections += list(blocks_from_markdown(lines))
    sections.append(Section("details", "Details", tuple(_details_blocks(scores, summary, bits=bits))))
    document = Document(title=title, blocks=tuple(sections))

    report = out_dir / REPORT_NAME
    report.write_text(render_markdown(document), encoding="utf-8")
    (out_dir / HTML_NAME).write_text(render_html(document, out_dir), encoding="utf-8")
    return report
