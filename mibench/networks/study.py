"""The information-plane study on the one pipeline: records, then an ordinary suite through the runner, then a report.

``mibench ib run`` is :func:`run_study` followed by :func:`analyse_study`:

1. **Records.** Every (activation, seed) of the :class:`~mibench.networks.config.StudyConfig` is trained, or reused
   from ``out_dir/records/`` when its settings match (:func:`~mibench.networks.restarts.obtain_record`, with the
   restart rule). Records are written atomically, so an interrupted study never trusts half a file.
2. **Suite.** :func:`study_suite` lists the network tasks of those records (:mod:`~mibench.networks.tasks`): every
   layer, both pairs (``I(X; T)`` and ``I(T; Y)``), at the estimated epochs, with ``n`` the data set's size -- every
   row exactly once, in a seeded order, as the information-plane literature gives its estimators -- and one
   repetition. Per-layer estimator settings (binning edges, the KDE bound's target) come from the tasks' context.
3. **Runner.** :func:`mibench.runner.run_suite` runs the suite into a results store (``out_dir/results.sqlite`` by
   default) with ``records_dir=out_dir/records``: one row per job, in nats, with the runner's statuses (``ok``,
   ``error``, ``timeout``); an estimator's failure is a stored result, a killed study resumes where it stopped,
   and a rerun computes only what is missing.
4. **Report.** :func:`analyse_study` joins the store's rows with the exact planes of the records (every logged
   epoch) into the planes table and writes the fidelity scores, findings, figure and Markdown
   (:mod:`mibench.report.information_plane`); values are shown in bits, labelled.

``out_dir/manifest.json`` records the configuration, the training settings (a directory trained with other
settings is refused), the runs and where the store and records are.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mibench.networks import records as store
from mibench.networks.config import StudyConfig
from mibench.networks.restarts import TrainedRun, dataset_of, obtain_record
from mibench.networks.tasks import PAIRS, task_id
from mibench.suites import EstimatorSpec, Suite

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.networks.training import TrainingRecord

__all__ = [
    "MANIFEST_FORMAT",
    "RESULTS_STORE",
    "StudyResult",
    "analyse_study",
    "available_estimators",
    "run_study",
    "study_suite",
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

    @property
    def records_dir(self) -> Path:
        return self.out_dir / store.RECORDS

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
    config: StudyConfig, records: Sequence[TrainingRecord], estimators: Sequence[EstimatorSpec]
) -> Suite | None:
    """The suite of a study: the network tasks of ``records`` at the estimated epochs (every layer, both pairs),
    ``n`` = the data set's size, one repetition; ``None`` when there is no estimator to run."""
    if not estimators or not records:
        return None
    epochs = config.estimated_epochs().tolist()
    tasks = tuple(
        task_id(record.name, epoch, layer, pair)
        for record in records
        for epoch in epochs
        for layer in range(1, record.n_layers + 1)
        for pair in PAIRS
    )
    return Suite(
        name=f"ib-{config.name}",
        tasks=tasks,
        estimators=tuple(estimators),
        sample_sizes=(records[0].n,),
        repetitions=1,
        timeout=STUDY_JOB_TIMEOUT,
        description=f"information-plane study {config.name!r}: estimators on the network tasks of its records",
    )


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
    return manifest


def run_study(
    config: StudyConfig,
    out_dir: str | Path,
    progress: bool | Callable[[str], None] = True,
    *,
    store_path: str | Path | None = None,
    jobs: int | None = None,
    executor: str = "process",
) -> StudyResult:
    """Train (or reuse) the records, then run the study's suite through the runner into a results store.

    Args:
        config: the study (see :func:`~mibench.networks.config.preset`).
        out_dir: the study directory (created; records already there with matching settings are reused).
        progress: print one line per trained run, and the runner's progress bar, on stderr (or a callable that
            takes each line; the bar is then off).
        store_path: the results store (default ``out_dir/results.sqlite``).
        jobs: the runner's worker processes (default: all cores).
        executor: the runner's executor (``"process"`` or ``"inline"``).

    Raises:
        ValueError: an unknown data set, a required estimator that is not registered, or ``out_dir`` holds a
            study trained with other settings.
    """
    from mibench.runner import run_suite
    from mibench.runner.environment import describe_environment

    say = _printer(progress)
    out_dir = Path(out_dir)
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
        "records_dir": store.RECORDS,
        "environment": describe_environment().describe(),
        "status": "training",
    }
    store.write_manifest(out_dir, manifest)

    runs: list[TrainedRun] = []
    records: list[TrainingRecord] = []
    for activation in config.activations:
        for seed in config.seeds:
            record, run = obtain_record(config, dataset, activation, seed, out_dir, say)
            runs.append(run)
            records.append(record)
    trained_at = time.perf_counter()
    manifest.update(runs=[run.to_dict() for run in runs], status="estimating")
    store.write_manifest(out_dir, manifest)

    suite = study_suite(config, records, estimators)
    counts: dict[str, int] = {}
    n_jobs = n_done = 0
    if suite is not None:
        summary = run_suite(
            suite,
            store=results_path,
            records_dir=out_dir / store.RECORDS,
            jobs=jobs,
            executor=executor,
            progress=bool(progress) and not callable(progress),
        )
        counts, n_jobs, n_done = dict(summary.counts), summary.n_jobs, summary.n_already_done
        _say(say, f"{suite.name}: {n_jobs} jobs, {n_done} already stored, {summary.n_run} run now {counts}")
    finished = time.perf_counter()
    timings = {"train_s": trained_at - started, "estimators_s": finished - trained_at, "total_s": finished - started}
    manifest.update(status="complete", timings=timings, jobs={"total": n_jobs, "already_stored": n_done, **counts})
    store.write_manifest(out_dir, manifest)
    return StudyResult(
        config, out_dir, results_path, tuple(runs), unavailable, suite, counts, n_jobs, n_done, timings
    )


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
    records = store.load_records(out_dir)
    if not records:
        raise ValueError(f"{out_dir}: no training records under {store.RECORDS}/")
    wanted = {run["record"] for run in manifest.get("runs", [])} or set(records)
    records = {name: record for name, record in records.items() if name in wanted}
    results_path = Path(manifest.get("store") or RESULTS_STORE)
    if not results_path.is_absolute():  # the study's own store, inside its directory
        results_path = out_dir / results_path
    if results_path.is_file():
        with ResultsStore(results_path, create=False) as results:
            frame = results.to_dataframe()
        parts = frame["task_id"].map(parse_task_id)
        frame = frame[parts.map(lambda p: p is not None and p["record"] in records)].reset_index(drop=True)
    else:
        frame = pd.DataFrame()
    return frame, records, manifest


def analyse_study(out_dir: str | Path, *, tol: float | None = None) -> dict[str, Path]:
    """Score and draw a study directory from its store and records: writes ``planes.csv``, ``fidelity.csv``,
    ``findings.json``, ``planes.png`` and ``report.md`` there; returns their paths by name. Nothing is trained or
    estimated again. ``tol``: the phase tolerance in bits."""
    from mibench.report.information_plane import planes_table, write_information_plane_report

    results, records, manifest = study_results(out_dir)
    planes = planes_table(results, records, str(manifest.get("study", "study")))
    return write_information_plane_report(planes, out_dir, manifest=manifest, tol=tol)
