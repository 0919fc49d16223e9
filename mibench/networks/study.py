"""The information-plane study on the one pipeline: records, then an ordinary suite through the runner, then a report.

``mibench ib run`` is :func:`run_study` followed by :func:`analyse_study`:

1. **Records.** Every (activation, seed) of the :class:`~mibench.networks.config.StudyConfig` is trained, or reused
   from the records directory (``out_dir/records/``, or another study's with ``records_dir=``) when its settings
   match (:func:`~mibench.networks.restarts.obtain_record`, with the restart rule). Records are written atomically,
   so an interrupted study never trusts half a file.
2. **Suite.** :func:`study_suite` lists the network tasks of those records (:mod:`~mibench.networks.tasks`): the
   estimated layers (every layer unless ``layers`` says otherwise), both pairs (``I(X; T)`` and ``I(T; Y)``), at the
   estimated epochs, with ``n`` the data set's size -- every row exactly once, in a seeded order, as the
   information-plane literature gives its estimators -- and one repetition. Per-layer estimator settings (binning
   edges, the KDE bound's target) come from the tasks' context. A **noisy study** (``noise_std = b``) lists the
   noisy-network tasks instead: the same layers read through ``N(0, b^2 I)`` noise; their Monte-Carlo truths are
   computed into the records' truth caches on ``jobs`` processes before the runner starts
   (:func:`~mibench.networks.noisy.fill_truths`), and the white-box estimators (KDE bounds, Gaussian convolution)
   read the same rows' clean values with the noise level from the task.
3. **Runner.** :func:`mibench.runner.run_suite` runs the suite into a results store (``out_dir/results.sqlite`` by
   default) with the records directory: one row per job, in nats, with the runner's statuses (``ok``, ``error``,
   ``timeout``); an estimator's failure is a stored result, a killed study resumes where it stopped, and a rerun
   computes only what is missing.
4. **Report.** :func:`analyse_study` joins the store's rows with the truth into the planes table and writes the
   fidelity scores, findings, figures and Markdown (:mod:`mibench.report.information_plane`); values are shown in
   bits, labelled. The truth of a quantized study is the exact plane of every logged epoch; that of a noisy study
   the Monte-Carlo truths at the estimated epochs and layers, with the layers' class clustering beside them
   (:mod:`~mibench.networks.clustering`).

``out_dir/manifest.json`` records the configuration, the training settings (a directory trained with other
settings, or a study of another noise level, is refused), the runs and where the store and records are.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mibench.networks import records as store
from mibench.networks.config import StudyConfig
from mibench.networks.ids import PAIRS, task_id
from mibench.networks.restarts import TrainedRun, dataset_of
from mibench.suites import EstimatorSpec, Suite

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.networks.study_plan import PlannedRecord
    from mibench.networks.training import TrainingRecord

__all__ = [
    "MANIFEST_FORMAT",
    "RESULTS_STORE",
    "StudyResult",
    "analyse_study",
    "available_estimators",
    "records_folder",
    "run_study",
    "study_name",
    "study_suite",
    "study_truth_ids",
]

MANIFEST_FORMAT = "2"
#: The study's own results store, inside its directory (``store=`` puts the rows elsewhere).
RESULTS_STORE = "results.sqlite"
#: Per-job time limit of a study's suite (seconds).
STUDY_JOB_TIMEOUT = 900.0


@dataclass(frozen=True)
class StudyResult:
    """What :func:`run_study` did."""

    config: StudyConfig
    out_dir: Path
    store_path: Path
    runs: tuple[TrainedRun, ...]
    unavailable: dict[str, str]
    suite: Suite | None
    counts: dict[str, int]
    n_jobs: int
    n_already_done: int
    timings: dict[str, float]
    records_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.records_dir is None:
            object.__setattr__(self, "records_dir", self.out_dir / store.RECORDS)

    @property
    def record_paths(self) -> list[Path]:
        return [self.out_dir / run.path for run in self.runs]


def available_estimators(config: StudyConfig) -> tuple[list[EstimatorSpec], dict[str, str]]:
    """The study's estimators that are registered, and ``{name: why}`` for the optional ones that are not.

    Raises:
        UnknownNameError: a required (not optional) estimator is not registered.
    """
    from mibench.errors import UnknownNameError
    from mibench.estimators import get_estimator_class

    found: list[EstimatorSpec] = []
    unavailable: dict[str, str] = {}
    for spec in config.estimators:
        try:
            get_estimator_class(spec.name)
        except (UnknownNameError, ImportError) as exc:
            if spec.name not in config.optional:
                raise
            unavailable[spec.name] = str(exc).split(". Available")[0]
            continue
        found.append(spec)
    return found, unavailable


def study_suite(
    config: StudyConfig, records: Sequence[TrainingRecord | PlannedRecord], estimators: Sequence[EstimatorSpec]
) -> Suite | None:
    """The suite of a study: the network tasks of ``records`` at the estimated epochs and layers (both pairs; noisy
    ones for a noisy study), ``n`` = the data set's size, one repetition; ``None`` when there is no estimator to
    run. Only the records' names, layer counts and sizes are read, so the outlines of records not trained yet
    (:class:`~mibench.networks.study_plan.PlannedRecord`) list the same suite."""
    if not estimators or not records:
        return None
    epochs = config.estimated_epochs().tolist()
    tasks = tuple(
        task_id(record.name, epoch, layer, pair, noise_std=config.noise_std)
        for record in records
        for epoch in epochs
        for layer in config.estimated_layers(record.n_layers)
        for pair in PAIRS
    )
    return Suite(
        name=study_name(config),
        tasks=tasks,
        estimators=tuple(estimators),
        sample_sizes=(records[0].n,),
        repetitions=1,
        timeout=STUDY_JOB_TIMEOUT,
        description=f"information-plane study {config.name!r}: estimators on the network tasks of its records",
    )


def study_name(config: StudyConfig) -> str:
    """The study's suite name in the store: ``ib-{name}``, plus ``-b{noise}`` for a noisy study."""
    from mibench.networks.ids import format_noise

    noise = "" if config.noise_std is None else f"-b{format_noise(config.noise_std)}"
    return f"ib-{config.name}{noise}"


def _printer(progress: bool | Callable[[str], None]) -> Callable[[str], None] | None:
    if callable(progress):
        return progress
    if progress:
        return lambda message: print(f"[ib] {message}", file=sys.stderr, flush=True)
    return None


def _check_manifest(out_dir: Path, config: StudyConfig) -> dict[str, Any] | None:
    import json

    manifest = store.read_manifest(out_dir)
    if manifest is None:
        return None
    stored = manifest.get("training")
    asked = json.loads(json.dumps(config.training_settings()))
    if stored != asked:
        keys = sorted(k for k in set(stored or {}) | set(asked) if (stored or {}).get(k) != asked.get(k))
        raise ValueError(
            f"{out_dir} holds a study with other training settings (differing: {', '.join(keys)}); "
            "use another output directory"
        )
    noise = (manifest.get("config") or {}).get("noise_std")
    if noise != config.noise_std:

        def describe(b: float | None) -> str:
            return "the quantized layers" if b is None else f"noise level {b}"

        raise ValueError(
            f"{out_dir} holds a study of {describe(noise)}, not of {describe(config.noise_std)}; use another "
            "output directory (records can be shared: --records)"
        )
    return manifest


def _manifest_path(path: Path, out_dir: Path) -> str:
    """``path`` as the manifest records it: relative to the study directory (``records``, or ``../ib-default/records``
    for another study's records), so a study and the records it reads can move together."""
    return os.path.relpath(path.resolve(), out_dir.resolve())


def run_study(
    config: StudyConfig,
    out_dir: str | Path,
    progress: bool | Callable[[str], None] = True,
    *,
    store_path: str | Path | None = None,
    jobs: int | None = None,
    executor: str = "process",
    records_dir: str | Path | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> StudyResult:
    """Train (or reuse) the records, then run the study's suite through the runner into a results store.

    Args:
        config: the study (see :func:`~mibench.networks.config.preset`).
        out_dir: the study directory (created; records already there with matching settings are reused).
        progress: print one line per trained run, and the runner's progress bar, on stderr (or a callable that
            takes each line; the bar is then off).
        store_path: the results store (default ``out_dir/results.sqlite``).
        jobs: the runner's worker processes, and the processes computing a noisy study's truths (default: all
            cores).
        executor: the runner's executor (``"process"`` or ``"inline"``), for the training runs and the estimator jobs.
        scheduler: the address of a Dask scheduler (``tcp://HOST:PORT``): the training runs and the estimator jobs go
            to that cluster (see :mod:`~mibench.networks.training_jobs` and
            :mod:`~mibench.runner.dask_executor`); the records directory must be on a file system that every
            worker shares. A noisy study's Monte-Carlo truths are still computed here, on ``jobs`` processes.
        dask_local: run them on a local Dask cluster of this many worker processes instead.
        records_dir: where the records are read and trained (default ``out_dir/records``): another study's records
            directory reuses its trained networks (a noisy study of the default study's networks, say). The noisy
            tasks' truth caches are written there too.

    Raises:
        ValueError: an unknown data set, a required estimator that is not registered, or ``out_dir`` holds a
            study trained with other settings.
        TrainingError: some training runs failed (the others are saved, and a rerun trains only what is missing).
        WorkerPoolError: the Dask cluster cannot be reached, or a worker cannot write the records directory.
    """
    from mibench.networks.training_jobs import train_runs, training_jobs
    from mibench.resources import available_cores
    from mibench.runner import run_suite
    from mibench.runner.dask_executor import DaskTarget
    from mibench.runner.environment import describe_environment

    say = _printer(progress)
    out_dir = Path(out_dir)
    folder = out_dir / store.RECORDS if records_dir is None else Path(records_dir)
    started = time.perf_counter()
    dataset = dataset_of(config)
    estimators, unavailable = available_estimators(config)
    for name, why in unavailable.items():
        _say(say, f"estimator {name} unavailable: {why}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _check_manifest(out_dir, config)
    results_path = Path(store_path) if store_path is not None else out_dir / RESULTS_STORE
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "study": config.name,
        "config": config.to_dict(),
        "training": config.training_settings(),
        "dataset": {
            "name": dataset.name,
            "n": dataset.n,
            "dim": dataset.dim,
            "n_classes": dataset.n_classes,
            "label_entropy_bits": dataset.label_entropy("bits"),
        },
        "unavailable": unavailable,
        "store": RESULTS_STORE if store_path is None else str(results_path.resolve()),
        "records_dir": _manifest_path(folder, out_dir),
        "environment": describe_environment().describe(),
        "status": "training",
    }
    store.write_manifest(out_dir, manifest)

    target = None if scheduler is None and dask_local is None else DaskTarget(scheduler, dask_local)
    folder.mkdir(parents=True, exist_ok=True)
    training = training_jobs(config, out_dir, folder)
    workers = jobs or available_cores()
    if target is not None:
        where = f"on Dask ({scheduler or f'{dask_local} local workers'})"
    else:
        where = "in this process" if executor == "inline" else f"on {min(workers, len(training))} worker(s)"
    _say(say, f"training: {len(training)} run(s) {where}")
    runs = train_runs(training, executor=executor, workers=workers, dask_target=target, progress=say)
    records = [store.load_record(out_dir / run.path) for run in runs]
    trained_at = time.perf_counter()
    manifest.update(runs=[run.to_dict() for run in runs], status="estimating")
    store.write_manifest(out_dir, manifest)

    suite = study_suite(config, records, estimators)
    counts: dict[str, int] = {}
    n_jobs = n_done = 0
    if config.noise_std is not None:
        from mibench.networks.noisy import fill_truths

        truth_ids = study_truth_ids(config, records)
        filled = fill_truths(truth_ids, folder, jobs=jobs or available_cores(), progress=say)
        _say(say, f"noisy truths: {filled.n_computed} computed, {filled.n_cached} cached ({filled.seconds:.1f} s)")
    truths_at = time.perf_counter()
    if suite is not None:
        summary = run_suite(
            suite,
            store=results_path,
            records_dir=folder,
            jobs=jobs,
            executor=executor,
            progress=bool(progress) and not callable(progress),
            scheduler=scheduler,
            dask_local=dask_local,
        )
        counts, n_jobs, n_done = dict(summary.counts), summary.n_jobs, summary.n_already_done
        _say(say, f"{suite.name}: {n_jobs} jobs, {n_done} already stored, {summary.n_run} run now {counts}")
    finished = time.perf_counter()
    timings = {
        "train_s": trained_at - started,
        "truths_s": truths_at - trained_at,
        "estimators_s": finished - truths_at,
        "total_s": finished - started,
    }
    manifest.update(status="complete", timings=timings, jobs={"total": n_jobs, "already_stored": n_done, **counts})
    store.write_manifest(out_dir, manifest)
    return StudyResult(
        config, out_dir, results_path, tuple(runs), unavailable, suite, counts, n_jobs, n_done, timings, folder
    )


def study_truth_ids(config: StudyConfig, records: Sequence[TrainingRecord]) -> list[str]:
    """The noisy task ids whose truths a noisy study draws: every record, estimated epoch and layer, both pairs
    (the planes' truth, whether or not an estimator runs)."""
    if config.noise_std is None:
        return []
    return [
        task_id(record.name, epoch, layer, pair, noise_std=config.noise_std)
        for record in records
        for epoch in config.estimated_epochs().tolist()
        for layer in config.estimated_layers(record.n_layers)
        for pair in PAIRS
    ]


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def study_results(out_dir: str | Path) -> tuple[pd.DataFrame, dict[str, TrainingRecord], dict[str, Any]]:
    """The stored results of a study's network tasks, its records by name, and its manifest.

    Raises:
        ValueError: ``out_dir`` is not a study directory (no manifest, or no records).
    """
    import pandas as pd

    from mibench.networks.tasks import parse_task_id
    from mibench.runner import ResultsStore

    out_dir = Path(out_dir)
    manifest = store.read_manifest(out_dir)
    if manifest is None:
        raise ValueError(f"{out_dir}: not a study directory (no {store.MANIFEST}; run `mibench ib run` first)")
    folder = records_folder(out_dir, manifest)
    records = {path.stem: store.load_record(path) for path in sorted(folder.glob("*.npz"))} if folder.is_dir() else {}
    if not records:
        raise ValueError(f"{out_dir}: no training records in {folder}")
    wanted = {run["record"] for run in manifest.get("runs", [])} or set(records)
    records = {name: record for name, record in records.items() if name in wanted}
    results_path = Path(manifest.get("store") or RESULTS_STORE)
    if not results_path.is_absolute():  # the study's own store, inside its directory
        results_path = out_dir / results_path
    if results_path.is_file():
        with ResultsStore(results_path, read_only=True) as results:
            frame = results.to_dataframe()
        parts = frame["task_id"].map(parse_task_id)
        frame = frame[parts.map(lambda p: p is not None and p["record"] in records)].reset_index(drop=True)
    else:
        frame = pd.DataFrame()
    return frame, records, manifest


def records_folder(out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """The records directory of a study (its manifest's ``records_dir``, relative to the study directory unless
    absolute; ``records/`` by default)."""
    folder = Path(manifest.get("records_dir") or store.RECORDS)
    return folder if folder.is_absolute() else Path(out_dir) / folder


def analyse_study(out_dir: str | Path, *, tol: float | None = None) -> dict[str, Path]:
    """Score and draw a study directory from its store and records: writes ``planes.csv``, ``fidelity.csv``,
    ``findings.json``, ``planes.png`` and ``report.md`` there (a noisy study also ``clustering.csv`` and
    ``clustering.png``); returns their paths by name. Nothing is trained or estimated again (a noisy study's truths
    come from the records' caches). ``tol``: the phase tolerance in bits."""
    from mibench.report.information_plane import (
        noisy_planes_table,
        planes_table,
        write_information_plane_report,
        write_noisy_plane_report,
    )

    results, records, manifest = study_results(out_dir)
    study = str(manifest.get("study", "study"))
    config = StudyConfig.from_dict(manifest["config"]) if manifest.get("config") else None
    if config is not None and config.noise_std is not None:
        from mibench.networks.clustering import clustering_table

        folder = records_folder(out_dir, manifest)
        epochs = config.estimated_epochs().tolist()
        planes = noisy_planes_table(results, records, study, config.noise_std, epochs, config.layers, folder)
        clusters = clustering_table(records, noise_std=config.noise_std, layers=config.layers)
        return write_noisy_plane_report(planes, clusters, out_dir, manifest=manifest, tol=tol)
    planes = planes_table(results, records, study)
    return write_information_plane_report(planes, out_dir, manifest=manifest, tol=tol)
