"""What an information-plane study would do, without doing it (``mibench ib run --dry-run``): its training runs and
estimator jobs, how many are done already, and an estimate of the rest's CPU time from times measured before.

Training runs. A run is done when the records directory holds its accepted record (following the restart rule's
markers, as :func:`~mibench.networks.restarts.obtain_record` would); the others are to train. Their estimated time
is the study's epochs times the median training time per epoch (``seconds / n_epochs``) of the measured records of
the same data set, network and activation (any seed) -- in the study's records directory and in the records
directories given as ``measured`` (by default every ``ib-*/records`` beside the study directory: a default study
run first measures the paper preset's cost). Restarts are not foreseen, and logging every layer costs a little
per logged epoch, so a study that logs more often than the measured ones (the paper preset) takes somewhat longer.

Estimator jobs. The study's suite (:func:`~mibench.networks.study.study_suite`) is listed from the records' names,
which do not need training, so the jobs of runs not yet trained are counted too; the stored ones are those whose
keys the results store holds. Their time is estimated as ``mibench run --dry-run`` does
(:func:`~mibench.runner.plan.estimate_seconds`): from the measured times in the study's store and the other
studies' stores beside it (the same estimator on tasks of a similar joint dimension at the same n).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mibench.networks import records as store
from mibench.networks.config import StudyConfig
from mibench.networks.ids import PAIRS, task_id
from mibench.networks.restarts import RESTART_SEED_STRIDE, dataset_of, network_spec
from mibench.runner.plan import RunPlan, plan_jobs

__all__ = ["PlannedRecord", "StudyPlan", "plan_study"]

#: Measured runs shorter than this many epochs give a time per epoch dominated by start-up (flagged in the plan).
SHORT_RUN_EPOCHS = 100

#: Version of a network task whose record is not trained yet (no stored job can match it).
PLANNED_VERSION = "planned"


@dataclass(frozen=True)
class PlannedRecord:
    """The outline of a record, trained or not: what a study's suite needs of it."""

    name: str
    n_layers: int
    n: int
    widths: tuple[int, ...]
    trained: bool


@dataclass(frozen=True)
class StudyPlan:
    """A study's size and estimated cost (see the module docstring)."""

    study: str
    n_runs: int
    n_runs_trained: int
    epochs: int
    training_seconds: float | None
    n_measured_records: int
    estimators: RunPlan | None
    measured_epochs: int = 0
    noisy: bool = False

    @property
    def n_runs_to_train(self) -> int:
        return self.n_runs - self.n_runs_trained

    def describe(self, workers: int | None = None) -> str:
        """The plan in a few lines, for the command line."""
        lines = [
            f"study {self.study}: {self.n_runs} training run(s) of {self.epochs} epochs, {self.n_runs_trained} "
            f"already trained, {self.n_runs_to_train} to train"
        ]
        if self.n_runs_to_train:
            if self.training_seconds is None:
                lines.append(
                    "no measured training time of this network: run a shorter study first (e.g. `mibench ib run`) "
                    "and its records beside this study's directory give the time per epoch"
                )
            else:
                hours = self.training_seconds / 3600
                short = (
                    "; from runs this short start-up dominates: an overestimate"
                    if self.measured_epochs < SHORT_RUN_EPOCHS
                    else ""
                )
                lines.append(
                    f"estimated training time: {hours:.2f} CPU-hours (time per epoch of {self.n_measured_records} "
                    f"measured run(s) of {self.measured_epochs} epochs; restarts and extra logging not included"
                    f"{short})"
                    + (
                        f", about {hours / min(workers, self.n_runs_to_train):.2f} h on {workers} workers"
                        if workers
                        else ""
                    )
                )
        if self.noisy:
            lines.append("a noisy study also computes the Monte-Carlo truths of its layers first (not estimated here)")
        if self.estimators is None:
            lines.append("no estimator to run (exact planes only)")
        else:
            lines.append(self.estimators.describe(workers))
        return "\n".join(lines)


def _planned_record(config: StudyConfig, dataset: Any, activation: str, seed: int, folder: Path) -> PlannedRecord:
    """The record a run will use: the first restart attempt not marked rejected (trained when its file exists)."""
    from mibench.networks.training import record_name

    spec = network_spec(config, dataset, activation)
    for attempt in range(config.max_restarts + 1):
        name = record_name(dataset.name, spec, seed + attempt * RESTART_SEED_STRIDE)
        if not store.rejected_file(folder, name).is_file():
            break
    trained = store.record_file(folder, name).is_file()
    return PlannedRecord(name, len(spec.widths) - 1, dataset.n, tuple(spec.widths), trained)


def _seconds_per_epoch(
    folders: Sequence[Path], dataset: str, widths: tuple[int, ...], activation: str
) -> tuple[list[float], int]:
    """Training seconds per epoch of the measured records of this network and activation that trained the most
    epochs (a short run's time is mostly start-up), and that number of epochs (0: none measured)."""
    measured: list[tuple[int, float]] = []
    for folder in folders:
        for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
            try:
                record = store.load_record(path)
            except Exception:  # a half-written or foreign file: not a measurement
                continue
            same = record.dataset == dataset and record.spec.widths == widths and record.spec.activation == activation
            if same and record.seconds > 0 and record.n_epochs > 0:
                measured.append((int(record.n_epochs), record.seconds / record.n_epochs))
    longest = max((epochs for epochs, _ in measured), default=0)
    return [rate for epochs, rate in measured if epochs == longest], longest


def _joint_dims(
    record: PlannedRecord, layers: Sequence[int], config: StudyConfig, epochs: Sequence[int]
) -> dict[str, int]:
    """``dim_x + dim_y`` of each network task of ``record`` (I(X; T): inputs and layer; I(T; Y): layer and label)."""
    dims = {}
    for epoch in epochs:
        for layer in layers:
            width = record.widths[layer]
            for pair in PAIRS:
                joint = record.widths[0] + width if pair == "xt" else width + 1
                dims[task_id(record.name, epoch, layer, pair, noise_std=config.noise_std)] = joint
    return dims


def _stored_frames(paths: Sequence[Path]) -> tuple[Any, set[str]]:
    """The rows of the stores at ``paths`` that exist (one frame), and the keys of the first one's finished jobs."""
    import pandas as pd

    from mibench.runner.schema import STATUSES
    from mibench.runner.store import ResultsStore

    frames, finished = [], set()
    for index, path in enumerate(paths):
        if not path.is_file():
            continue
        with ResultsStore(path, read_only=True) as results:
            if index == 0:
                finished = results.finished_keys(STATUSES)
            frames.append(results.to_dataframe())
    frames = [frame for frame in frames if not frame.empty]
    return (pd.concat(frames, ignore_index=True) if frames else None), finished


def plan_study(
    config: StudyConfig,
    out_dir: str | os.PathLike[str],
    *,
    records_dir: str | os.PathLike[str] | None = None,
    store_path: str | os.PathLike[str] | None = None,
    measured: Sequence[str | os.PathLike[str]] | None = None,
) -> StudyPlan:
    """The plan of ``run_study(config, out_dir, ...)`` with these directories; reads only (creates nothing).

    Args:
        measured: study directories whose records and stores give measured times (default: every ``ib-*``
            directory beside ``out_dir``).
    """
    import statistics

    from mibench.estimators.versions import estimator_version
    from mibench.networks.study import RESULTS_STORE, available_estimators, study_name, study_suite
    from mibench.runner.jobs import iter_jobs, resolve_tasks

    out_dir = Path(out_dir)
    folder = out_dir / store.RECORDS if records_dir is None else Path(records_dir)
    if measured is None:
        here = out_dir.resolve()
        measured = sorted(path for path in here.parent.glob("ib-*") if path.is_dir() and path.resolve() != here)
    others = [Path(path) for path in measured]
    dataset = dataset_of(config)
    runs = [
        (activation, _planned_record(config, dataset, activation, int(seed), folder))
        for activation in config.activations
        for seed in config.seeds
    ]
    outlines = [outline for _, outline in runs]
    record_folders = [folder, *(path / store.RECORDS for path in others)]
    to_train = [(activation, outline) for activation, outline in runs if not outline.trained]
    networks = {activation: outline.widths for activation, outline in to_train}  # one network per activation
    found = {
        activation: _seconds_per_epoch(record_folders, dataset.name, widths, activation)
        for activation, widths in networks.items()
    }
    rates = {activation: rates_of for activation, (rates_of, _) in found.items()}
    measured_rates = sum(len(rates_of) for rates_of in rates.values())
    measured_epochs = min((epochs for _, epochs in found.values()), default=0)
    training_seconds = None
    if to_train and all(rates.values()):
        training_seconds = sum(statistics.median(rates[activation]) * config.epochs for activation, _ in to_train)

    estimators, _ = available_estimators(config)
    suite = study_suite(config, outlines, estimators)  # type: ignore[arg-type]
    estimator_plan = None
    if suite is not None:
        epochs = config.estimated_epochs().tolist()
        joint_dims: dict[str, int] = {}
        trained_tasks: list[str] = []
        for outline in outlines:
            dims = _joint_dims(outline, config.estimated_layers(outline.n_layers), config, epochs)
            joint_dims.update(dims)
            trained_tasks.extend(dims if outline.trained else ())
        resolved = resolve_tasks(trained_tasks, folder) if trained_tasks else {}
        versions = {tid: resolved[tid].version if tid in resolved else PLANNED_VERSION for tid in suite.tasks}
        channel_tasks = set(suite.tasks) if config.noise_std is not None else set()
        estimator_versions = {spec.name: estimator_version(spec.name) for spec in suite.estimators}
        jobs = list(iter_jobs(suite, versions, estimator_versions, channel_tasks))
        own_store = Path(store_path) if store_path is not None else out_dir / RESULTS_STORE
        frame, finished = _stored_frames([own_store, *(path / RESULTS_STORE for path in others)])
        estimator_plan = plan_jobs(suite.name, jobs, finished, frame, joint_dims)
    return StudyPlan(
        study=study_name(config),
        n_runs=len(outlines),
        n_runs_trained=sum(outline.trained for outline in outlines),
        epochs=config.epochs,
        training_seconds=training_seconds,
        n_measured_records=measured_rates,
        measured_epochs=measured_epochs,
        noisy=config.noise_std is not None,
        estimators=estimator_plan,
    )
