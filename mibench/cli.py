"""The ``mibench`` command.

    mibench list tasks|estimators|suites      what is available (tasks filter by family, dimension, MI)
    mibench run SUITE                          run a suite into the results store (resumes; computes only missing jobs)
    mibench report                             Markdown report + figure from the store (default under reports/)
    mibench export -o FILE                     the store's rows as CSV or JSON
    mibench estimate FILE --estimator NAME     MI of your own data (.npz, .npy, .csv), in nats and bits
    mibench ib run|report                      the information-plane study on quantized networks (exact MI)

User mistakes (unknown names, bad files, bad input) print one line ``error: ...`` and exit with status 2; they
never print a traceback. ``mibench list`` does not import torch.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from mibench._version import __version__

USER_ERROR_EXIT = 2
F = TypeVar("F", bound=Callable[..., Any])
LN2 = math.log(2.0)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn mibench's user-facing errors into ``error: message`` and exit status 2."""
    from mibench.errors import MIBenchError
    from mibench.runner.store import StoreError

    try:
        yield
    except (MIBenchError, StoreError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(USER_ERROR_EXIT)


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    from tabulate import tabulate

    return tabulate([[row[c] for c in columns] for row in rows], headers=columns, disable_numparse=True)


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

    with _user_errors():
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
    click.echo(_table(rows, [*columns, "bmi id"] if filters.get("bmi") else columns))
    click.echo(f"\n{len(rows)} task(s). Parametric ids such as gaussian-pairs-3x2-mi1.5 work too.")


@list_group.command("estimators")
def list_estimators_command() -> None:
    """Registered estimators (built-in and plugins) with their tags."""
    from mibench.estimators import estimator_source, get_estimator_class, list_estimators

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
    click.echo(_table(rows, ["name", "class", "source", "discrete", "stochastic", "torch", "max dim"]))


@list_group.command("suites")
def list_suites_command() -> None:
    """Built-in suites with their sizes."""
    from mibench.suites import list_suites

    rows = [
        {
            "name": s.name,
            "jobs": s.n_jobs,
            "tasks": len(s.tasks),
            "estimators": ",".join(e.name for e in s.estimators),
            "n": ",".join(str(n) for n in s.sample_sizes),
            "seeds": s.repetitions,
            "description": s.description,
        }
        for s in list_suites()
    ]
    click.echo(_table(rows, ["name", "jobs", "tasks", "estimators", "n", "seeds", "description"]))


# ---------------------------------------------------------------------------------------------------------------
# run / report / export
# ---------------------------------------------------------------------------------------------------------------

_store_option = click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results store (SQLite). Default: $MIBENCH_STORE or .mibench/results.sqlite.",
)


@main.command("run")
@click.argument("suite")
@click.option("--estimators", help="Comma-separated estimator names of the suite to run (default all).")
@click.option("--tasks", help="Comma-separated task ids or patterns of the suite to run (default all).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Parallel worker processes (default: all cores).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Per-job limit in seconds.")
@click.option("--retry-failed", is_flag=True, help="Also rerun jobs stored as error or timeout.")
@click.option("--inline", is_flag=True, help="Run jobs in this process, one by one (debugging; no time limit).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_store_option
def run_command(
    suite: str,
    estimators: str | None,
    tasks: str | None,
    jobs: int | None,
    timeout: float | None,
    retry_failed: bool,
    inline: bool,
    no_progress: bool,
    store: Path | None,
) -> None:
    """Run SUITE (see `mibench list suites`); jobs already in the store are skipped."""
    from mibench.runner import default_store_path, run_suite
    from mibench.runner.run import SUITE_TIMEOUT

    store_path = store or default_store_path()
    click.echo(f"results store: {store_path}")
    with _user_errors():
        try:
            summary = run_suite(
                suite,
                store=store_path,
                jobs=jobs,
                timeout=SUITE_TIMEOUT if timeout is None else timeout,
                estimators=_split(estimators),
                tasks=_split(tasks),
                retry_failed=retry_failed,
                executor="inline" if inline else "process",
                progress=not no_progress,
            )
        except KeyboardInterrupt:
            click.echo("interrupted: finished jobs are stored; run the same command again to resume", err=True)
            sys.exit(130)
    counts = summary.counts
    click.echo(
        f"suite {summary.suite}: {summary.n_jobs} jobs, {summary.n_already_done} already stored, "
        f"{summary.n_run} run now ({counts['ok']} ok, {counts['error']} error, {counts['timeout']} timeout)"
    )
    if counts["error"] or counts["timeout"]:
        click.echo("failed jobs are recorded with their messages; see `mibench report`", err=True)
    click.echo(f"next: mibench report{'' if store is None else f' --store {store}'}")


def _load_results(store: Path | None, suite: str | None) -> Any:
    from mibench.runner import ResultsStore, default_store_path, expand
    from mibench.suites import get_suite

    path = store or default_store_path()
    with ResultsStore(path, create=False) as results:
        keys = [job.key for job in expand(get_suite(suite))] if suite else None
        frame = results.to_dataframe(keys)
    if frame.empty:
        what = f" for suite {suite!r}" if suite else ""
        raise ValueError(f"the store {path} has no results{what}; run `mibench run SUITE` first")
    return frame


@main.command("report")
@_store_option
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports") / "latest",
    show_default=True,
    help="Folder for report.md, the figure and scores.csv.",
)
@click.option("--suite", help="Only the jobs of this suite (default: everything in the store).")
@click.option("--bits", is_flag=True, help="Show MI in bits (labelled) instead of nats.")
def report_command(store: Path | None, out: Path, suite: str | None, bits: bool) -> None:
    """Write a Markdown report (scores table and estimate-vs-truth figure) from the results store."""
    from mibench.report import write_report

    with _user_errors():
        frame = _load_results(store, suite)
        path = write_report(frame, out, title=f"mibench report{f': {suite}' if suite else ''}", bits=bits)
    click.echo(f"report: {path}")


@main.command("export")
@_store_option
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file; .csv or .json.",
)
@click.option("--suite", help="Only the jobs of this suite.")
def export_command(store: Path | None, out: Path, suite: str | None) -> None:
    """Export stored results (one row per job) as CSV or JSON."""
    with _user_errors():
        frame = _load_results(store, suite)
        suffix = out.suffix.lower()
        if suffix == ".csv":
            frame.to_csv(out, index=False)
        elif suffix == ".json":
            frame.to_json(out, orient="records", indent=1)
        else:
            raise ValueError(f"unsupported export format {suffix or '(none)'!r}; use .csv or .json")
    click.echo(f"{len(frame)} rows -> {out}")


# ---------------------------------------------------------------------------------------------------------------
# estimate
# ---------------------------------------------------------------------------------------------------------------


def _parse_param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--param expects NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # a bare string such as method=foo
    return name.strip(), value


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

    with _user_errors():
        est = get_estimator(estimator, **dict(_parse_param(p) for p in params))
        x, y = load_sample(file, x_cols, y_cols)
        value = float(est.estimate(x, y))
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
                    "mi_bits": value / LN2,
                }
            )
        )
        return
    click.echo(f"{estimator} on {file} (n={len(x)}, dim_x={x.shape[1]}, dim_y={y.shape[1]}):")
    click.echo(f"I(X;Y) = {value:.6f} nats = {value / LN2:.6f} bits")


from mibench.ib_cli import ib  # noqa: E402  (the group module is cheap: torch loads only when a study runs)

main.add_command(ib)

if __name__ == "__main__":  # pragma: no cover
    main()
