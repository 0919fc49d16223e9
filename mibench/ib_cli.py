"""``mibench ib``: the information-plane study from the command line.

    mibench ib run [--preset default|paper|smoke] [--data 12bit|digits|PATH] [--activations tanh,relu]
                   [--seeds N] [--epochs N] [--estimators binning,ksg,...] [--out DIR]
    mibench ib report DIR

``ib run`` trains (reusing records already in ``DIR``), computes the exact planes, runs the estimators and writes
``DIR/records/*.npz``, ``manifest.json``, ``planes.csv``, ``fidelity.csv``, ``findings.json``, ``planes.png`` and
``report.md``. ``ib report`` redoes the scores, the figure and the report from the stored ``planes.csv`` (nothing
is trained or estimated). User mistakes print ``error: ...`` and exit with status 2, as the rest of the CLI.
The group is attached to the main command with ``main.add_command(ib)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

__all__ = ["ib"]

USER_ERROR_EXIT = 2


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn user-facing errors into ``error: message`` and exit status 2 (as :mod:`mibench.cli`)."""
    from mibench.errors import MIBenchError

    try:
        yield
    except (MIBenchError, ValueError, FileNotFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(USER_ERROR_EXIT)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


@click.group("ib", context_settings={"help_option_names": ["-h", "--help"]})
def ib() -> None:
    """Information-plane study on quantized networks: exact planes vs estimators (values in bits)."""


@ib.command("run")
@click.option(
    "--preset",
    "preset_name",
    type=click.Choice(["default", "paper", "smoke"]),
    default="default",
    show_default=True,
    help="default: tanh and ReLU, 3 seeds, 1500 epochs (about 10-15 min on 2 cores); paper: 8000 epochs, "
    "50 repetitions, MI every 5th epoch (hours to days); smoke: seconds.",
)
@click.option("--data", default=None, help="12bit, digits, or a .mat/.npz file (default: 12bit).")
@click.option("--activations", default=None, help="Comma-separated hidden activations, e.g. tanh,relu.")
@click.option("--seeds", type=int, default=None, help="Number of seeds (repetitions): 0 .. N-1.")
@click.option("--epochs", type=int, default=None, help="Training epochs.")
@click.option(
    "--estimators",
    default=None,
    help="Comma-separated registered estimator names (e.g. binning,ksg,kde-upper), or 'none' for exact planes only.",
)
@click.option("--hidden", default=None, help="Hidden widths for a data file, e.g. 10,7,5,4,3.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Study directory [ib-PRESET].")
@click.option("--no-progress", is_flag=True, help="No progress lines on stderr.")
def run_command(
    preset_name: str,
    data: str | None,
    activations: str | None,
    seeds: int | None,
    epochs: int | None,
    estimators: str | None,
    hidden: str | None,
    out_dir: str | None,
    no_progress: bool,
) -> None:
    """Train, compute the exact planes, run the estimators, score and draw them (resumes in --out)."""
    from mibench.networks.study import RestartLimitError, analyse_study, estimator_spec, preset, run_study

    with _user_errors():
        overrides: dict[str, object] = {}
        if data is not None:
            overrides["dataset"] = data
        if activations is not None:
            overrides["activations"] = tuple(_split(activations) or ())
        if seeds is not None:
            if seeds < 1:
                raise ValueError(f"--seeds must be >= 1, got {seeds}")
            overrides["seeds"] = tuple(range(seeds))
        if epochs is not None:
            overrides["epochs"] = epochs
        if hidden is not None:
            try:
                overrides["hidden"] = tuple(int(w) for w in _split(hidden) or ())
            except ValueError:
                raise ValueError(f"--hidden must be comma-separated integers, got {hidden!r}") from None
        if estimators is not None:
            names = _split(estimators) or []
            overrides["estimators"] = () if names == ["none"] else tuple(estimator_spec(n) for n in names)
        config = preset(preset_name, **overrides)
        out = Path(out_dir) if out_dir else Path(f"ib-{preset_name}")
        try:
            result = run_study(config, out, progress=not no_progress)
        except RestartLimitError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        paths = analyse_study(out)
    for source, why in result.unavailable.items():
        click.echo(f"unavailable: {source} ({why})")
    trained = sum(1 for r in result.runs if r["trained"])
    click.echo(
        f"{len(result.runs)} run(s) ({trained} trained, {len(result.runs) - trained} reused), "
        f"{len(result.planes)} plane rows in {result.timings['total_s']:.1f} s"
    )
    for name, path in paths.items():
        click.echo(f"{name}: {path}")


@ib.command("report")
@click.argument("directory", type=click.Path(file_okay=False))
def report_command(directory: str) -> None:
    """Re-score and re-draw a study directory from its stored planes.csv (nothing is retrained)."""
    from mibench.networks.study import analyse_study

    with _user_errors():
        paths = analyse_study(directory)
    for name, path in paths.items():
        click.echo(f"{name}: {path}")
