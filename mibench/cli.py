"""The ``mibench`` command.

    mibench list tasks|estimators|suites      what is available (tasks filter by family, dimension, MI)
    mibench run SUITE                          run a suite into the results store (resumes; computes only missing jobs)
    mibench report                             Markdown report + figure from the store (default under reports/)
    mibench export -o FILE                     the store's rows as CSV or JSON
    mibench compare BASE CUR | STORE --versus E  significant regressions between two runs or two estimators
    mibench estimate FILE --estimator NAME     MI of your own data (.npz, .npy, .csv), in nats and bits
    mibench ib run|report                      the information-plane study on quantized networks (exact MI)

User mistakes (unknown names, bad files, bad input) print one line ``error: ...`` and exit with status 2; they
never print a traceback. So does a results store that cannot be used: not a store, in use by another run, or not
writable by ``run`` (a read-only file or folder, a full disk: the rows stored before are kept). ``report``,
``export``, ``compare`` and ``list suites --store`` open the store read-only and never change it. ``mibench list``
does not import torch.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click

from mibench._version import __version__
from mibench.cli_support import fail, split_list, store_option, table, user_errors
from mibench.units import nats_to_bits


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mibench")
def main() -> None:
    """mibench: the ground-truth benchmark for mutual-information estimators (all values in nats unless
    labelled bits)."""


# ---------------------------------------------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------------------------------------------


@main.group("list")
def list_group() -> None:
    """List tasks, estimators or suites."""


@list_group.command("tasks")
@click.option("--family", help="Only this family.")
@click.option("--dim-x", type=int, help="Only tasks with this dim_x.")
@click.option("--dim-y", type=int, help="Only tasks with this dim_y.")
@click.option("--max-dim", type=int, help="Only tasks with dim_x + dim_y <= this.")
@click.option("--min-mi", type=float, help="Only tasks with true MI >= this (nats).")
@click.option("--max-mi", type=float, help="Only tasks with true MI <= this (nats).")
@click.option("--pattern", help="Shell-style pattern on the task id, e.g. 'gaussian-pairs-5x5-*'.")
@click.option("--truth", help="Only tasks whose truth is known this way: closed form, exact, monte carlo, quadrature.")
@click.option("--bmi", is_flag=True, help="Only bmi's 40 'Beyond Normal' tasks, with their bmi ids.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_tasks_command(as_json: bool, **filters: Any) -> None:
    """Tasks of the catalogue: id, family, dimensions, true MI (nats and bits) and how the truth is known."""
    from mibench.synthetic import list_tasks

    with user_errors():
        tasks = list_tasks(**{k: v for k, v in filters.items() if v is not None})
    if as_json:
        click.echo(json.dumps([t.describe() for t in tasks], indent=1))
        return
    rows = [
        {
            "id": t.id,
            "family": t.family,
            "dims": f"{t.dim_x}x{t.dim_y}",
            "MI (nats)": f"{t.mi:.6f}",
            "MI (bits)": f"{t.mi_bits:.6f}",
            "truth": t.truth if t.mi_stderr == 0 else f"{t.truth} ± {t.mi_stderr:.1e}",
            "bmi id": t.params.get("bmi_id", ""),
        }
        for t in tasks
    ]
    columns = ["id", "family", "dims", "MI (nats)", "MI (bits)", "truth"]
    click.echo(table(rows, [*columns, "bmi id"] if filters.get("bmi") else columns))
    click.echo(f"\n{len(rows)} task(s). Parametric ids such as gaussian-pairs-3x2-mi1.5 work too.")


@list_group.command("estimators")
def list_estimators_command() -> None:
    """Registered estimators (built-in and plugins) with their tags. A name registered twice is listed as a name
    clash (a warning names both sources) and cannot be used until one of them is removed."""
    from mibench.estimators import estimator_source, get_estimator_class, list_estimators
    from mibench.estimators.registry import estimator_clashes

    rows = []
    for name in list_estimators():
        cls = get_estimator_class(name)
        tags = cls.tags
        rows.append(
            {
                "name": name,
                "class": f"{cls.__module__}.{cls.__qualname__}",
                "source": estimator_source(name),
                "discrete": "yes" if tags.accepts_discrete else "no",
                "stochastic": "yes" if tags.stochastic else "no",
                "torch": "yes" if tags.requires_torch else "no",
                "max dim": tags.max_dim or "-",
            }
        )
    clashes = estimator_clashes()
    for name in clashes:
        rows.append(dict.fromkeys(["class", "discrete", "stochastic", "torch", "max dim"], "-"))
        rows[-1].update(name=name, source="name clash (unusable)")
    rows.sort(key=lambda row: row["name"])
    click.echo(table(rows, ["name", "class", "source", "discrete", "stochastic", "torch", "max dim"]))
    for message in clashes.values():
        click.echo(f"warning: {message}", err=True)


@list_group.command("suites")
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also list the suites recorded in this results store (suite files that ran into it).",
)
def list_suites_command(store: Path | None) -> None:
    """Built-in suites with their sizes (and, with --store, the other suites that ran into that store)."""
    from mibench.suites import list_suites

    suites = [(suite, "built-in") for suite in list_suites()]
    if store is not None:
        from mibench.runner.results import recorded_suites

        with user_errors():
            builtin = {suite.name for suite, _ in suites}
            suites += [(suite, "store") for suite in recorded_suites(store) if suite.name not in builtin]
    rows = [
        {
            "name": s.name,
            "jobs": s.n_jobs,
            "tasks": len(s.tasks),
            "estimators": ",".join(e.name for e in s.estimators),
            "n": ",".join(str(n) for n in s.sample_sizes),
            "seeds": s.repetitions,
            "source": source,
            "description": s.description,
        }
        for s, source in suites
    ]
    click.echo(table(rows, ["name", "jobs", "tasks", "estimators", "n", "seeds", "source", "description"]))


# ---------------------------------------------------------------------------------------------------------------
# run / report / export
# ---------------------------------------------------------------------------------------------------------------

_records_option = click.option(
    "--records",
    "records",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of training records (.npz) that network tasks are rebuilt from.",
)


def _memory_limit(text: str) -> float | str | None:
    """``--memory-limit``: ``"auto"``, or MiB from a size such as ``4G`` (``None`` for ``none``)."""
    from mibench.errors import InvalidOptionError
    from mibench.runner.limits import parse_memory_size

    if text.strip().lower() == "auto":
        return "auto"
    try:
        return parse_memory_size(text)
    except ValueError as exc:
        raise InvalidOptionError(f"--memory-limit: {exc}") from None


@main.command("run")
@click.argument("suite", required=False)
@click.option(
    "--suite-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Run the suite this TOML file defines (name, tasks, estimators, sample_sizes, repetitions, timeout) "
    "instead of a built-in SUITE.",
)
@click.option(
    "--estimators",
    help="Comma-separated estimators to run (default: the suite's). A name the suite lacks (any registered "
    "estimator or package.module:Class) is added with the suite's tasks, sample sizes and seeds.",
)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    help="Hyperparameter of a selected estimator, NAME:PARAM=VALUE (repeatable; VALUE is JSON, else a string).",
)
@click.option("--tasks", help="Comma-separated task ids or patterns of the suite to run (default all).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Parallel worker processes (default: all cores).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Per-job limit in seconds.")
@click.option("--retry-failed", is_flag=True, help="Also rerun failed jobs (error, timeout, memory).")
@click.option(
    "--fresh",
    is_flag=True,
    help="Recompute every selected job and replace its stored row, even a finished one (recorded in the run's "
    "options).",
)
@click.option(
    "--fail-on-error",
    is_flag=True,
    help="Exit with status 1 if any job of the selected suite, as stored after the run (run now or before), has "
    "a status other than ok (for CI).",
)
@click.option("--inline", is_flag=True, help="Run jobs in this process, one by one (debugging; no time limit).")
@click.option(
    "--memory-limit",
    default="auto",
    show_default=True,
    help="How much one job may grow its process's memory (512M, 4G, ...; 'none': no limit); beyond it the job is "
    "recorded as 'memory'. auto: 80% of the machine's memory divided among the workers.",
)
@click.option(
    "--threads-per-job",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="BLAS/OpenMP/torch threads per job, the same on every executor.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on the existing Dask cluster of this scheduler (tcp://HOST:PORT); its workers need "
    "DASK_DISTRIBUTED__WORKER__DAEMON=False (see README, Running on a cluster).",
)
@click.option(
    "--dask-local",
    type=click.IntRange(min=1),
    metavar="N",
    help="Run on a local Dask cluster of N worker processes (started and closed by this run).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Run nothing: print how many jobs the run has, how many the store holds, and an estimate of the rest's "
    "CPU time from the times measured in the store.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_records_option
@store_option
def run_command(
    suite: str | None,
    suite_file: Path | None,
    estimators: str | None,
    params: tuple[str, ...],
    tasks: str | None,
    jobs: int | None,
    timeout: float | None,
    retry_failed: bool,
    fresh: bool,
    fail_on_error: bool,
    inline: bool,
    memory_limit: str,
    threads_per_job: int,
    scheduler: str | None,
    dask_local: int | None,
    dry_run: bool,
    no_progress: bool,
    records: Path | None,
    store: Path | None,
) -> None:
    """Run SUITE (see `mibench list suites`) or the suite of --suite-file; jobs already in the store are skipped
    (unless --fresh)."""
    from mibench.errors import InvalidOptionError
    from mibench.runner import STATUSES, default_store_path, run_suite
    from mibench.runner.run import SUITE_TIMEOUT
    from mibench.runner.schema import FAILURE_STATUSES

    store_path = store or default_store_path()
    with user_errors():
        if (suite is None) == (suite_file is None):
            raise InvalidOptionError("give a built-in SUITE (see `mibench list suites`) or --suite-file FILE, not both")
        click.echo(f"results store: {store_path}")
        per_estimator: dict[str, dict[str, Any]] = {}
        for text in params:
            name, param, value = _parse_estimator_param(text)
            per_estimator.setdefault(name, {})[param] = value
        if dry_run:
            from mibench.resources import available_cores
            from mibench.runner.plan import plan_run

            plan = plan_run(
                suite_file if suite_file is not None else str(suite),
                store=store_path,
                estimators=split_list(estimators),
                tasks=split_list(tasks),
                params=per_estimator,
                retry_failed=retry_failed,
                fresh=fresh,
                records_dir=records,
            )
            workers = dask_local or (1 if inline else jobs or available_cores())
            click.echo(plan.describe(None if scheduler else workers))
            return
        try:
            summary = run_suite(
                suite_file if suite_file is not None else str(suite),
                store=store_path,
                jobs=jobs,
                timeout=SUITE_TIMEOUT if timeout is None else timeout,
                estimators=split_list(estimators),
                tasks=split_list(tasks),
                params=per_estimator,
                retry_failed=retry_failed,
                fresh=fresh,
                executor="inline" if inline else "process",
                progress=not no_progress,
                records_dir=records,
                memory_limit_mb=_memory_limit(memory_limit),
                threads_per_job=threads_per_job,
                scheduler=scheduler,
                dask_local=dask_local,
            )
        except KeyboardInterrupt:
            click.echo("interrupted: finished jobs are stored; run the same command again to resume", err=True)
            sys.exit(130)
    by_status = ", ".join(f"{summary.counts[status]} {status}" for status in STATUSES)
    click.echo(
        f"suite {summary.suite}: {summary.n_jobs} jobs, {summary.n_already_done} already stored, "
        f"{summary.n_run} run now ({by_status})"
    )
    if summary.n_failed:
        click.echo("failed jobs are recorded with their messages; see `mibench report`", err=True)
    click.echo(f"next: mibench report{'' if store is None else f' --store {store}'}")
    if fail_on_error and summary.n_failed_stored:
        stored = ", ".join(f"{summary.stored_counts[status]} {status}" for status in FAILURE_STATUSES)
        click.echo(
            f"--fail-on-error: {summary.n_failed_stored} failed job(s) in suite {summary.suite} ({stored})", err=True
        )
        sys.exit(1)


@main.command("report")
@store_option
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports") / "latest",
    show_default=True,
    help="Folder for report.md, index.html, the figures and scores.csv.",
)
@click.option(
    "--suite",
    help="Only the jobs of this suite: built in, or any suite recorded in the store (by name), or a suite file "
    "(default: everything in the store).",
)
@click.option("--bits", is_flag=True, help="Show MI in bits (labelled) instead of nats.")
@_records_option
def report_command(store: Path | None, out: Path, suite: str | None, bits: bool, records: Path | None) -> None:
    """Write the report of the results store: report.md and a self-contained index.html (summary per estimator
    and task family, failures, machine and environment, figures), the figures, and every cell in scores.csv."""
    from mibench.report import write_report
    from mibench.runner.results import load_results, run_environments, run_ids, run_records_dirs

    with user_errors():
        frame = load_results(store, suite)
        environments = run_environments(store, run_ids(frame))
        records_dirs = [records] if records else []
        records_dirs += run_records_dirs(store, run_ids(frame))
        title = f"mibench report{f': {suite}' if suite else ''}"
        path = write_report(frame, out, title=title, bits=bits, environments=environments, records_dirs=records_dirs)
    click.echo(f"report: {path}")


@main.command("export")
@store_option
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file; .csv or .json.",
)
@click.option("--suite", help="Only the jobs of this suite: built in, recorded in the store, or a suite file.")
@click.option(
    "--all-versions",
    is_flag=True,
    help="Every stored row, also those of earlier estimator or task versions (default: the latest row per job).",
)
def export_command(store: Path | None, out: Path, suite: str | None, all_versions: bool) -> None:
    """Export stored results (one row per job) as CSV or JSON."""
    from mibench.runner.results import export_results

    with user_errors():
        n_rows = export_results(out, store, suite, all_versions=all_versions)
    click.echo(f"{n_rows} rows -> {out}")


@main.command("compare")
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("current", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--versus",
    metavar="ESTIMATOR",
    help="Compare the estimators of ONE store (BASELINE) against ESTIMATOR instead: is each other one worse?",
)
@click.option(
    "--suite",
    help="Compare only the jobs of this suite (for results stores: built in, recorded in the store, or a suite "
    "file; an export file holds what was exported).",
)
@click.option(
    "--margin-abs", type=float, default=0.02, show_default=True, help="Practical margin, absolute part (nats)."
)
@click.option(
    "--margin-rel", type=float, default=0.05, show_default=True, help="Practical margin, relative part (x truth)."
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level (Holm-corrected).")
@click.option(
    "--time-factor",
    type=click.FloatRange(min=0, min_open=True),
    help="Flag an estimator whose median time grew more than this factor (only when both runs' recorded "
    "machines are equal; default: times are shown, never gated).",
)
@click.option(
    "--permutations", type=click.IntRange(min=1), default=10_000, show_default=True, help="Sign flips (pooled test)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sign flips.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "github"]),
    default="markdown",
    show_default=True,
    help="github: a summary line first and collapsible tables (for $GITHUB_STEP_SUMMARY).",
)
@click.option("--max-rows", type=click.IntRange(min=1), default=50, show_default=True, help="Rows per table shown.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write JSON here.")
def compare_command(
    baseline: Path,
    current: Path | None,
    versus: str | None,
    suite: str | None,
    margin_abs: float,
    margin_rel: float,
    alpha: float,
    time_factor: float | None,
    permutations: int,
    seed: int,
    fmt: str,
    max_rows: int,
    json_path: Path | None,
) -> None:
    """Compare CURRENT against BASELINE (results stores or `mibench export` files, .csv/.json), or with --versus
    the estimators of one store. Exit status 1 when something got significantly worse (cells, newly failing
    seeds, pooled per estimator, or gated time), 0 otherwise."""
    from mibench.report.compare import CompareSettings, compare_files, comparison_json, comparison_markdown

    with user_errors():
        settings = CompareSettings(
            margin_abs=margin_abs,
            margin_rel=margin_rel,
            alpha=alpha,
            permutations=permutations,
            seed=seed,
            time_factor=time_factor,
        )
        comparison = compare_files(baseline, current, versus=versus, settings=settings, suite=suite)
        if json_path is not None:
            json_path.write_text(comparison_json(comparison), encoding="utf-8")
    click.echo(comparison_markdown(comparison, max_rows=max_rows, github=fmt == "github"))
    if comparison.regressed:
        sys.exit(1)


# ---------------------------------------------------------------------------------------------------------------
# estimate
# ---------------------------------------------------------------------------------------------------------------


def _parse_param(text: str) -> tuple[str, Any]:
    from mibench.errors import InvalidOptionError

    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise InvalidOptionError(f"--param expects NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # a bare string such as method=foo
    return name.strip(), value


def _parse_estimator_param(text: str) -> tuple[str, str, Any]:
    """``NAME:PARAM=VALUE`` of ``mibench run -p`` as (estimator name, parameter, value); NAME may be an import path
    ``package.module:Class``."""
    from mibench.errors import InvalidOptionError

    left, sep, raw = text.partition("=")
    name, colon, param = left.rpartition(":")
    if not sep or not colon or not name.strip():
        raise InvalidOptionError(f"--param expects NAME:PARAM=VALUE, got {text!r}")
    param, value = _parse_param(f"{param}={raw}")
    return name.strip(), param, value


@main.command("estimate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--estimator", "-e", required=True, help="Estimator name (see `mibench list estimators`).")
@click.option("--x-cols", help="Columns of x: 0-based indices, ranges a:b, or CSV header names (default: first).")
@click.option("--y-cols", help="Columns of y (default: every column not in x).")
@click.option("--param", "-p", "params", multiple=True, help="Estimator hyperparameter NAME=VALUE (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def estimate_command(
    file: Path, estimator: str, x_cols: str | None, y_cols: str | None, params: tuple[str, ...], as_json: bool
) -> None:
    """Estimate the MI between column groups of your own data FILE (.npz, .npy or .csv)."""
    from mibench.datafile import load_sample
    from mibench.estimators import get_estimator
    from mibench.interface import estimate_value

    with user_errors():
        est = get_estimator(estimator, **dict(_parse_param(p) for p in params))
        x, y = load_sample(file, x_cols, y_cols)
        returned = est.estimate(x, y)
    try:
        value = estimate_value(returned, f"estimator {estimator!r}")
    except TypeError as exc:  # a plugin that breaks the contract: one error line, not a traceback
        fail(str(exc))
    if not math.isfinite(value):  # never printed as a result (and NaN is not JSON)
        fail(f"estimator {estimator!r} returned a non-finite value ({value}) on {file}; no estimate")
    if as_json:
        click.echo(
            json.dumps(
                {
                    "estimator": estimator,
                    "params": est.get_params() if hasattr(est, "get_params") else {},
                    "n": len(x),
                    "dim_x": x.shape[1],
                    "dim_y": y.shape[1],
                    "mi_nats": value,
                    "mi_bits": nats_to_bits(value),
                },
                allow_nan=False,
            )
        )
        return
    click.echo(f"{estimator} on {file} (n={len(x)}, dim_x={x.shape[1]}, dim_y={y.shape[1]}):")
    click.echo(f"I(X;Y) = {value:.6f} nats = {nats_to_bits(value):.6f} bits")


from mibench.ib_cli import ib  # noqa: E402  (the group module is cheap: torch loads only when a study runs)

main.add_command(ib)

if __name__ == "__main__":  # pragma: no cover
    main()
