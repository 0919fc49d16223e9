"""The information-plane study's training runs as jobs: one per (activation, seed), run inline, on local worker
processes or on a Dask cluster, as the runner runs estimator jobs.

A training job travels as its small description (:class:`TrainingJob`: the study's configuration, the activation,
the seed and two directories). Whatever process runs it trains the record, or reuses the one already there, with
the restart rule (:func:`~mibench.networks.restarts.obtain_record`), and writes it atomically into the records
directory; what comes back is a :class:`TrainingOutcome` (the run's :class:`~mibench.networks.restarts.TrainedRun`,
or the error that stopped it, and the lines it would have printed). Training is seeded and runs on the study's
``threads`` torch threads in every process, each set up as the runner's worker processes are
(:func:`~mibench.runner.worker.init_worker`), so a record does not depend on which backend trained it.

Backends. ``"inline"``: this process, one run after another. ``"process"``: a pool of ``workers`` local processes
(one run on one worker is trained inline: a pool would only add its start-up). Dask
(:class:`~mibench.runner.dask_executor.DaskTarget`): each run in a job process of a Dask worker, as estimator jobs
are; the records directory must then be a path that every worker can **write** (a shared file system), which the
coordinator checks on every worker before anything is sent, and a data file given by path must be readable there
too. A run lost with its Dask worker is retried as the cluster's scheduler allows (``--dask-local``: once).

Failures. A run that fails (every restart attempt broke the rule, the training raised, its process died) does not
stop the others: they finish and their records are saved, then :func:`train_runs` raises :class:`TrainingError`
naming each failure, and a rerun trains only what is missing. Ctrl-C stops the pool; finished records stay. No time
limit applies: a paper-scale run trains for hours.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mibench.networks.config import StudyConfig
from mibench.networks.restarts import RestartLimitError, TrainedRun, dataset_of, obtain_record

__all__ = [
    "TrainingError",
    "TrainingJob",
    "TrainingOutcome",
    "execute_training_job",
    "train_runs",
    "training_jobs",
]


class TrainingError(RuntimeError):
    """One or more training runs of a study failed (the message names each and why); the others were saved."""


@dataclass(frozen=True)
class TrainingJob:
    """One (activation, seed) of a study to train or reuse (picklable: what a worker receives).

    Attributes:
        config: the study's configuration (training settings, restart rule, threads).
        activation: the hidden activation of this run.
        seed: the study's repetition seed (restart attempts add multiples of
            :data:`~mibench.networks.restarts.RESTART_SEED_STRIDE`).
        out_dir: the study directory (the run's record path is given relative to it when inside).
        records_dir: where the record is read or written.
    """

    config: StudyConfig
    activation: str
    seed: int
    out_dir: str
    records_dir: str

    @property
    def label(self) -> str:
        return f"{self.activation} seed {self.seed}"


@dataclass(frozen=True)
class TrainingOutcome:
    """What running a :class:`TrainingJob` gave: the run (``None`` when it failed), the error message, and the
    progress lines of the run (trained, restarted)."""

    job: TrainingJob
    run: TrainedRun | None
    error: str | None = None
    messages: tuple[str, ...] = ()


def training_jobs(config: StudyConfig, out_dir: str | Path, records_dir: str | Path) -> list[TrainingJob]:
    """The study's runs in order: every activation, then every seed."""
    return [
        TrainingJob(config, activation, int(seed), str(out_dir), str(records_dir))
        for activation in config.activations
        for seed in config.seeds
    ]


def execute_training_job(job: TrainingJob) -> TrainingOutcome:
    """Train or reuse the record of ``job`` (in whatever process this runs); a failure is the outcome's error."""
    messages: list[str] = []
    try:
        dataset = dataset_of(job.config)
        _, run = obtain_record(
            job.config,
            dataset,
            job.activation,
            job.seed,
            Path(job.out_dir),
            messages.append,
            records_dir=Path(job.records_dir),
        )
    except RestartLimitError as exc:
        return TrainingOutcome(job, None, str(exc), tuple(messages))
    except Exception as exc:
        return TrainingOutcome(job, None, f"{job.label}: {type(exc).__name__}: {exc}", tuple(messages))
    return TrainingOutcome(job, run, None, tuple(messages))


#: Called with a job's position in the list and its outcome as each job finishes.
OnTrained = Callable[[int, TrainingOutcome], None]


def train_runs(
    jobs: Sequence[TrainingJob],
    *,
    executor: str = "process",
    workers: int = 1,
    dask_target: Any = None,
    progress: Callable[[str], None] | None = None,
) -> list[TrainedRun]:
    """Run the training jobs and return their runs in the jobs' order.

    Args:
        jobs: from :func:`training_jobs`.
        executor: ``"process"`` (local worker processes) or ``"inline"``; ignored when ``dask_target`` is given.
        workers: local worker processes (at most one per job).
        dask_target: a :class:`~mibench.runner.dask_executor.DaskTarget` to run the jobs on a Dask cluster.
        progress: takes each run's progress lines as it finishes.

    Raises:
        TrainingError: some runs failed (after every other run finished and was saved).
        WorkerPoolError: the Dask cluster cannot be reached or a worker cannot write the records directory.
    """
    outcomes: dict[int, TrainingOutcome] = {}

    def done(index: int, outcome: TrainingOutcome) -> None:
        outcomes[index] = outcome
        if progress is not None:
            for line in outcome.messages:
                progress(line)
            if outcome.error is not None:
                progress(f"failed: {outcome.error}")

    if dask_target is not None:
        _train_on_dask(jobs, done, dask_target)
    elif executor == "inline" or min(workers, len(jobs)) <= 1:
        for index, job in enumerate(jobs):
            done(index, execute_training_job(job))
    elif executor == "process":
        _train_in_processes(jobs, done, min(workers, len(jobs)))
    else:
        raise ValueError(f"unknown executor {executor!r}; use 'process' or 'inline'")
    failed = [outcome.error for outcome in outcomes.values() if outcome.run is None]
    if failed:
        raise TrainingError(
            f"{len(failed)} of {len(jobs)} training run(s) failed (the others are saved; a rerun trains only what "
            "is missing): " + "; ".join(str(error) for error in failed)
        )
    return [outcomes[index].run for index in range(len(jobs))]  # type: ignore[misc]


def _died(job: TrainingJob, exc: BaseException) -> TrainingOutcome:
    return TrainingOutcome(job, None, f"{job.label}: the process training it died ({type(exc).__name__}: {exc})")


def _train_in_processes(jobs: Sequence[TrainingJob], on_done: OnTrained, workers: int) -> None:
    from concurrent.futures import as_completed

    from pebble import ProcessExpired, ProcessPool

    from mibench.runner.executors import _mp_context
    from mibench.runner.limits import WorkerGroups, groups_folder
    from mibench.runner.worker import init_worker

    threads = jobs[0].config.threads
    with groups_folder("training") as folder:
        groups = WorkerGroups(folder)
        pool = ProcessPool(
            max_workers=workers, initializer=init_worker, initargs=(threads, folder), context=_mp_context()
        )
        try:
            futures = {pool.schedule(execute_training_job, args=(job,)): index for index, job in enumerate(jobs)}
            for future in as_completed(futures):
                index = futures[future]
                job = jobs[index]
                try:
                    outcome = future.result()
                except ProcessExpired as exc:
                    outcome = _died(job, exc)
                except Exception as exc:
                    outcome = TrainingOutcome(job, None, f"{job.label}: {type(exc).__name__}: {exc}")
                on_done(index, outcome)
        except BaseException:
            pool.stop()
            pool.join()
            raise
        finally:
            groups.sweep(everything=True)
        pool.close()
        pool.join()


# -- Dask ----------------------------------------------------------------------------------------------------------


def train_on_dask_worker(job: TrainingJob) -> TrainingOutcome:
    """Run one training job in this Dask worker's pool of job processes; never raises."""
    from mibench.runner.dask_executor import JobProcessError, in_job_process

    try:
        return in_job_process(execute_training_job, lambda _groups: (job,), threads=job.config.threads)
    except JobProcessError as exc:
        return TrainingOutcome(job, None, f"{job.label}: {exc}")


def _records_writable(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.R_OK | os.W_OK | os.X_OK)


def _train_on_dask(jobs: Sequence[TrainingJob], on_done: OnTrained, target: Any) -> None:
    from mibench.errors import WorkerPoolError
    from mibench.runner.dask_executor import cluster_client

    with cluster_client(target) as client:
        folders = sorted({job.records_dir for job in jobs})
        for folder in folders:
            writable = client.run(_records_writable, folder)
            missing = sorted(address for address, ok in writable.items() if not ok)
            if missing:
                raise WorkerPoolError(
                    f"Dask worker(s) {', '.join(missing)} cannot write the records directory {folder}; training "
                    "runs on a cluster need a path that every worker can write (a shared file system)"
                )
        from distributed import as_completed

        futures = {client.submit(train_on_dask_worker, job, pure=False): index for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            job = jobs[index]
            try:
                outcome = future.result()
            except Exception as exc:  # KilledWorker after the allowed retries, a cancelled future
                outcome = _died(job, exc)
            on_done(index, outcome)
