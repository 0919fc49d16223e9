"""``mibench ib``: the information-plane study from the command line.

    mibench ib run [--preset default|paper|smoke] [--data 12bit|digits|PATH] [--activations tanh,relu]
                   [--seeds N] [--epochs N] [--estimators binning,ksg,...] [--layers 1,2,...] [--noise B]
                   [--records DIR] [--out DIR] [--jobs N] [--store PATH]
                   [--scheduler tcp://HOST:PORT | --dask-local N] [--dry-run]
    mibench ib report DIR

``ib run`` trains (reusing records already in the records directory, ``DIR/records`` unless ``--records``), runs
the study's suite of network tasks through the runner into the results store (``DIR/results.sqlite`` unless
``--store``), then writes ``planes.csv``, ``fidelity.csv``, ``findings.json``, ``planes.png`` and ``report.md`` in
``DIR``. With ``--noise B`` the study reads each layer of the same trained networks through Gaussian noise of
standard deviation B (Monte-Carlo truths, KSG and binning on the noisy values, the KDE bounds and the
Gaussian-convolution estimator on the clean values; clustering beside compression: also ``clustering.csv`` and
``clustering.png``); its directory defaults to ``ib-PRESET-bB`` and its records to the quantized study's
``ib-PRESET/records`` when that exists.
Interrupted, it resumes where it stopped when run again. ``--scheduler``/``--dask-local`` send the training runs
(one job per activation and seed) and the estimator jobs to a Dask cluster; ``--dry-run`` prints what a run would
do and an estimate of its CPU time (:mod:`mibench.networks.study_plan`) and changes nothing. ``ib report`` redoes
the scores, the figures and the report from the store and the records (nothing is trained or estimated).
User mistakes print ``error: ...`` and exit with status 2, as the rest of the CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mibench.cli_support import split_list, user_errors
from mibench.errors import InvalidOptionError

__all__ = ["ib"]


@click.group("ib", context_settings={"help_option_names": ["-h", "--help"]})
def ib() -> None:
    """Information-plane study on quantized networks: exact planes vs estimators (values shown in bits); with --noise,
    the noisy planes (Monte-Carlo truth)."""


@ib.command("run")
@click.option(
    "--preset",
    "preset_name",
    type=click.Choice(["default", "paper", "smoke"]),
    default="default",
    show_default=True,
    help="default: tanh and ReLU, 3 seeds, 1500 epochs; paper: 8000 epochs, 50 repetitions, MI every 5th epoch "
    "(hours to days; see reports/); smoke: seconds.",
)
@click.option("--data", default=None, help="12bit, digits, or a .mat/.npz file (default: 12bit).")
@click.option("--activations", default=None, help="Comma-separated hidden activations, e.g. tanh,relu.")
@click.option("--seeds", type=click.IntRange(min=1), default=None, help="Number of seeds (repetitions): 0 .. N-1.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Training epochs.")
@click.option(
    "--estimators",
    default=None,
    help="Comma-separated registered estimator names (e.g. binning,ksg,kde-upper), or 'none' for exact planes only.",
)
@click.option("--hidden", default=None, help="Hidden widths for a data file, e.g. 10,7,5,4,3.")
@click.option(
    "--layers", default=None, help="Comma-separated layers (1-based; the last is the output) to estimate [all]."
)
@click.option(
    "--noise",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Read each layer of the trained networks through Gaussian noise of this standard deviation (a noisy "
    "study: Monte-Carlo truths, white-box KDE bounds and Gaussian convolution; e.g. 0.1).",
)
@click.option(
    "--records",
    "records_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Records directory to reuse and train into [DIR/records; with --noise: ib-PRESET/records if it exists].",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Study directory [ib-PRESET].")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Results store for the estimates (default: DIR/results.sqlite).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Train the runs and run the estimator jobs on the Dask cluster of this scheduler (tcp://HOST:PORT); the "
    "records directory must be on a file system every worker shares.",
)
@click.option(
    "--dask-local",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Train and estimate on a local Dask cluster of N worker processes.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Do nothing: print the training runs and estimator jobs, how many are done, and an estimate of the rest's "
    "CPU time from the times measured by the studies beside --out.",
)
@click.option("--no-progress", is_flag=True, help="No progress on stderr.")
def run_command(
    preset_name: str,
    data: str | None,
    activations: str | None,
    seeds: int | None,
    epochs: int | None,
    estimators: str | None,
    hidden: str | None,
    layers: str | None,
    noise: float | None,
    records_dir: str | None,
    out_dir: str | None,
    jobs: int | None,
    store_path: str | None,
    scheduler: str | None,
    dask_local: int | None,
    dry_run: bool,
    no_progress: bool,
) -> None:
    """Train, run the estimators on the network tasks through the runner, score and draw (resumes in --out); with
    --noise, the same networks read through Gaussian noise."""
    from mibench.networks.config import preset
    from mibench.networks.study import analyse_study, run_study, study_name
    from mibench.networks.training_jobs import TrainingError

    with user_errors():
        overrides: dict[str, object] = {}
        if data is not None:
            overrides["dataset"] = data
        if activations is not None:
            overrides["activations"] = tuple(split_list(activations) or ())
        if seeds is not None:
            overrides["seeds"] = tuple(range(seeds))
        if epochs is not None:
            overrides["epochs"] = epochs
        if hidden is not None:
            try:
                overrides["hidden"] = tuple(int(w) for w in split_list(hidden) or ())
            except ValueError:
                raise ValueError(f"--hidden must be comma-separated integers, got {hidden!r}") from None
        if estimators is not None:
            names = split_list(estimators) or []
            overrides["estimators"] = () if names == ["none"] else tuple(names)
        if layers is not None:
            try:
                overrides["layers"] = tuple(int(v) for v in split_list(layers) or ())
            except ValueError:
                raise ValueError(f"--layers must be comma-separated integers, got {layers!r}") from None
        if noise is not None:
            overrides["noise_std"] = noise
        config = preset(preset_name, **overrides)
        out = Path(out_dir) if out_dir else Path(study_name(config))
        records = Path(records_dir) if records_dir else None
        if records is None and noise is not None and (Path(f"ib-{preset_name}") / "records").is_dir():
            records = Path(f"ib-{preset_name}") / "records"
        if scheduler is not None and dask_local is not None:
            raise InvalidOptionError("give either --scheduler or --dask-local, not both")
        if dry_run:
            from mibench.networks.study_plan import plan_study
            from mibench.resources import available_cores

            plan = plan_study(config, out, records_dir=records, store_path=store_path)
            click.echo(plan.describe(workers=dask_local or (None if scheduler else jobs or available_cores())))
            return
        if records is not None:
            click.echo(f"records: {records}", err=True)
        try:
            result = run_study(
                config,
                out,
                progress=not no_progress,
                store_path=store_path,
                jobs=jobs,
                records_dir=records,
                scheduler=scheduler,
                dask_local=dask_local,
            )
        except TrainingError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted: records and finished jobs are stored; run the same command to resume", err=True)
            sys.exit(130)
        paths = analyse_study(out)
    for name, why in result.unavailable.items():
        click.echo(f"unavailable: {name} ({why})")
    trained = sum(1 for run in result.runs if run.trained)
    counts = ", ".join(f"{count} {status}" for status, count in result.counts.items() if count) or "none run now"
    click.echo(
        f"{len(result.runs)} run(s) ({trained} trained, {len(result.runs) - trained} reused); {result.n_jobs} "
        f"estimator jobs ({result.n_already_done} already stored; {counts}) in {result.timings['total_s']:.1f} s"
    )
    click.echo(f"store: {result.store_path}")
    for name, path in paths.items():
        click.echo(f"{name}: {path}")


@ib.command("report")
@click.argument("directory", type=click.Path(file_okay=False))
def report_command(directory: str) -> None:
    """Re-score and re-draw a study directory from its store and records (nothing is retrained)."""
    from mibench.networks.study import analyse_study

    with user_errors():
        paths = analyse_study(directory)
    for name, path in paths.items():
        click.echo(f"{name}: {path}")
