"""Run a suite: expand it into jobs, skip what the store already has, execute the rest, store each result.

The coordinating process is the only writer of the store and writes one transaction per finished job, so a
run stopped at any point (Ctrl-C, SIGKILL, power loss after a commit) resumes by running the same command
again: only missing jobs are computed. One run at a time writes a store: a run refuses to start while another
run's coordinator is alive (checked before anything is prepared, and again when the run is recorded), and marks
runs whose coordinator is gone ``interrupted`` (see :mod:`mibench.runner.store`). A run that stops on an error
(the store cannot be written, the worker pool broke) is marked ``failed``; Ctrl-C marks it ``interrupted``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from mibench._version import __version__
from mibench.errors import InvalidOptionError, StoreError
from mibench.estimators.registry import estimator_source
from mibench.interface import Task
from mibench.resources import available_cores
from mibench.runner.executors import EXECUTORS, check_not_importing_main, run_inline, run_processes
from mibench.runner.jobs import Job, expand, resolve_tasks
from mibench.runner.limits import default_memory_limit_mb
from mibench.runner.schema import FAILURE_STATUSES, STATUS_OK, STATUSES, Outcome, ResultRow
from mibench.runner.store import ResultsStore, default_store_path, utc_now
from mibench.runner.worker import WorkerSettings
from mibench.suite_files import resolve_suite
from mibench.suites import EstimatorSpec, Suite

if TYPE_CHECKING:
    import pandas as pd

    from mibench.runner.environment import Environment

__all__ = ["SUITE_TIMEOUT", "RunSummary", "result_row", "run", "run_suite"]

#: Default of ``run_suite(timeout=...)``: use the suite's own per-job limit.
SUITE_TIMEOUT: Final = "suite"
#: ``memory_limit_mb`` default: a share of the machine's memory per worker (:func:`default_memory_limit_mb`).
AUTO_MEMORY_LIMIT: Final = "auto"

StorePath = str | os.PathLike[str]


@dataclass
class RunSummary:
    """What a run did. ``keys`` are the job keys of the (selected) suite, for reading its rows back;
    ``counts`` has every status of :data:`~mibench.runner.schema.STATUSES` for the jobs run now, ``stored_counts``
    the same for all of the (selected) suite's jobs as stored when the run finished (run now or before)."""

    run_id: str
    suite: str
    store_path: str
    n_jobs: int
    n_already_done: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    interrupted: bool = False
    stored_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    keys: list[str] = field(default_factory=list, repr=False)

    @property
    def n_run(self) -> int:
        return sum(self.counts.values())

    @property
    def n_failed(self) -> int:
        return sum(self.counts[status] for status in FAILURE_STATUSES)

    @property
    def n_failed_stored(self) -> int:
        """Failed jobs (any status but ok) of the (selected) suite as stored after the run."""
        return sum(self.stored_counts[status] for status in FAILURE_STATUSES)


def result_row(job: Job, task: Task, outcome: Outcome, run_id: str) -> ResultRow:
    """The stored row of a finished job."""
    return ResultRow(
        key=job.key,
        task_id=job.task_id,
        task_version=job.task_version,
        family=task.family,
        dim_x=task.dim_x,
        dim_y=task.dim_y,
        estimator=job.estimator,
        params=job.params,
        params_hash=job.params_hash,
        estimator_version=job.estimator_version,
        n=job.n,
        repetition=job.repetition,
        seed=job.seed,
        estimate=outcome.estimate if outcome.status == STATUS_OK else None,
        true_mi=task.mi,
        mi_stderr=task.mi_stderr,
        seconds=outcome.seconds,
        peak_memory_mb=outcome.peak_memory_mb,
        status=outcome.status,
        error=outcome.error,
        info=outcome.info,
        mibench_version=__version__,
        finished_at=utc_now(),
        run_id=run_id,
    )


def run_suite(
    suite: str | os.PathLike[str] | Suite,
    *,
    store: StorePath | ResultsStore | None = None,
    jobs: int | None = None,
    timeout: float | Literal["suite"] | None = SUITE_TIMEOUT,
    estimators: Sequence[str | EstimatorSpec] | None = None,
    tasks: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    retry_failed: bool = False,
    fresh: bool = False,
    executor: str = "process",
    progress: bool = True,
    records_dir: StorePath | None = None,
    memory_limit_mb: float | Literal["auto"] | None = AUTO_MEMORY_LIMIT,
    threads_per_job: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> RunSummary:
    """Run the jobs of ``suite`` that the store does not have yet.

    Args:
        suite: a built-in suite name, a suite file (a path, or a string ending in ``.toml``; see
            :mod:`mibench.suite_files`) or a :class:`~mibench.suites.Suite`. The store records the suite's name and
            definition and which jobs this run covered, so ``load_results(suite=NAME)`` selects them later.
        store: a results store or its path (default :func:`~mibench.runner.store.default_store_path`).
        jobs: parallel worker processes (default: all available cores).
        timeout: per-job limit in seconds; ``"suite"`` (default) for the suite's own; ``None`` for no limit.
        estimators: run only these estimators: names or :class:`~mibench.suites.EstimatorSpec` objects. A name
            the suite has runs as the suite defines it; any other registered name (or ``"package.module:Class"``)
            is added with the suite's tasks, sample sizes and repetitions (see :meth:`Suite.select`).
        tasks: run only the suite's tasks matching these ids or shell-style patterns.
        params: hyperparameters per chosen estimator name, over its own (``{"ksg": {"k": 5}}``).
        retry_failed: also rerun failed jobs (by default a failed job counts as done: its failure is a result).
        fresh: recompute every selected job and replace its stored row, finished or not -- the one deliberate
            exception to "a finished row is never replaced"; recorded in the run's options.
        executor: ``"process"`` (local worker processes) or ``"inline"`` (this process, no time limit).
        progress: show a progress bar with ETA on stderr.
        records_dir: the directory of training records that the suite's network tasks are rebuilt from. Recorded
            in the run's options; not part of any job key (a record's digest is in its tasks' versions). The
            ``networks`` suite trains its own records into it when they are missing (by default into ``records/``
            beside the default store), and the noisy tasks' truths are computed into caches there before any job
            runs.
        memory_limit_mb: how much one job's estimate may grow its process's memory, in MiB; beyond it the job is
            recorded as ``memory`` (:mod:`mibench.runner.limits`). ``"auto"`` (default): 80 % of the physical
            memory divided among the workers; ``None``: no limit.
        threads_per_job: BLAS/OpenMP/torch threads of each job, the same on every executor (default 1, so that
            ``jobs`` workers use ``jobs`` cores and a job computes the same numbers wherever it runs).
        scheduler: run on the existing Dask cluster of this scheduler address (``tcp://HOST:PORT``); the
            ``dask`` executor (:mod:`mibench.runner.dask_executor`). ``jobs`` does not apply: the cluster's worker
            threads are the parallelism, and ``"auto"`` memory limits are computed on each worker.
        dask_local: run on a local Dask cluster of this many worker processes, started and closed by the run.

    Raises:
        UnknownNameError: an unknown suite, estimator, task or task pattern.
        DuplicateNameError: an estimator of the run whose name is registered twice.
        MissingRecordError: a network task whose record is not in ``records_dir``; raised before anything runs.
        InvalidOptionError: ``jobs``, ``timeout`` or ``executor`` out of range.
        StoreError: the store cannot be opened or written (read-only, full disk ...: rows stored before are kept and
            the run is marked ``failed``), or another run of the store is still running (nothing is run).
        WorkerPoolError: the worker processes cannot start or break down (not a job's fault; e.g. a script that
            calls mibench without an ``if __name__ == "__main__":`` guard); nothing is stored for unfinished jobs.
    """
    check_not_importing_main()  # a worker re-importing an unguarded script must not start a run (nor touch a store)
    named_suite = resolve_suite(suite)
    suite = named_suite
    if estimators or tasks or params:
        suite = named_suite.select(estimators=estimators, tasks=tasks, params=params)
    for spec in suite.estimators:  # an unknown or doubly registered name stops the run before anything runs
        estimator_source(spec.name)
    dask_target = None
    if scheduler is not None or dask_local is not None:
        if executor not in ("process", "dask"):
            raise InvalidOptionError(f"a Dask cluster was asked for, but also the {executor!r} executor")
        from mibench.runner.dask_executor import DaskTarget

        dask_target = DaskTarget(address=scheduler, local_workers=dask_local)
        executor = "dask"
    elif executor == "dask":
        raise InvalidOptionError("the dask executor needs a scheduler address or a number of local Dask workers")
    if executor not in EXECUTORS:
        raise InvalidOptionError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    workers = available_cores() if jobs is None else int(jobs)
    if workers < 1:
        raise InvalidOptionError(f"jobs must be >= 1, got {jobs}")
    if isinstance(timeout, str) and timeout != SUITE_TIMEOUT:
        raise InvalidOptionError(f"timeout must be seconds, None or {SUITE_TIMEOUT!r}, got {timeout!r}")
    limit = suite.timeout if timeout == SUITE_TIMEOUT else timeout
    if limit is not None and not limit > 0:
        raise InvalidOptionError(f"timeout must be positive seconds or None, got {limit}")
    if not (isinstance(threads_per_job, int) and threads_per_job >= 1):
        raise InvalidOptionError(f"threads_per_job must be an integer >= 1, got {threads_per_job!r}")
    auto_memory = memory_limit_mb == AUTO_MEMORY_LIMIT and dask_target is not None  # computed on each worker
    if memory_limit_mb == AUTO_MEMORY_LIMIT:
        memory_limit_mb = None if auto_memory else default_memory_limit_mb(1 if executor == "inline" else workers)
    elif memory_limit_mb is not None and not (isinstance(memory_limit_mb, (int, float)) and memory_limit_mb > 0):
        raise InvalidOptionError(f"memory_limit_mb must be positive MiB, None or 'auto', got {memory_limit_mb!r}")
    owns_store = not isinstance(store, ResultsStore)
    if owns_store:  # before training records or computing truths for a run that could not start
        _check_not_in_use(default_store_path() if store is None else store)
    records = None if records_dir is None else str(Path(records_dir).resolve())
    records = _prepare_network_tasks(suite.name, suite.tasks, records, workers, progress)

    resolved = resolve_tasks(suite.tasks, records)  # every task once, before anything runs
    all_jobs = expand(suite, tasks=resolved)
    results = ResultsStore(default_store_path() if store is None else store) if owns_store else store
    assert isinstance(results, ResultsStore)
    try:
        done_statuses = (STATUS_OK,) if retry_failed else STATUSES
        finished = set() if fresh else results.finished_keys(done_statuses)
        pending = [job for job in all_jobs if job.key not in finished]
        options = {
            "jobs": workers,
            "timeout": limit,
            "executor": executor,
            "retry_failed": retry_failed,
            "fresh": fresh,
            "estimators": [_describe(e) for e in estimators or []],
            "params": {name: dict(values) for name, values in (params or {}).items()},
            "tasks": list(tasks or []),
            "records_dir": records,
            "memory_limit_mb": AUTO_MEMORY_LIMIT if auto_memory else memory_limit_mb,
            "threads_per_job": threads_per_job,
            "scheduler": scheduler,
            "dask_local": dask_local,
        }
        run_id = results.start_run(
            suite.name,
            options,
            len(all_jobs),
            len(pending),
            __version__,
            environment=_environment(),
            suite_definition=named_suite.to_json(),
            run_definition=suite.to_json(),
            keys=[job.key for job in all_jobs],
        )
        summary = RunSummary(
            run_id,
            suite.name,
            results.path,
            len(all_jobs),
            len(all_jobs) - len(pending),
            keys=[job.key for job in all_jobs],
        )
        bar = _progress_bar(len(pending), suite.name, progress)

        def on_done(job: Job, outcome: Outcome) -> None:
            results.record(result_row(job, resolved[job.task_id], outcome, run_id), replace=fresh)
            summary.counts[outcome.status] += 1
            bar.update(1)
            if summary.n_failed:
                bar.set_postfix(failed=summary.n_failed, refresh=False)

        settings = WorkerSettings(records_dir=records, memory_limit_mb=memory_limit_mb, threads=threads_per_job)
        try:
            if executor == "inline":
                run_inline(pending, on_done, settings)
            elif dask_target is not None:
                from mibench.runner.dask_executor import run_dask

                run_dask(
                    pending, on_done, target=dask_target, timeout=limit, settings=settings, auto_memory=auto_memory
                )
            else:
                run_processes(pending, on_done, workers=workers, timeout=limit, settings=settings)
        except KeyboardInterrupt:
            summary.interrupted = True
            _finish_quietly(results, run_id, "interrupted")
            raise
        except BaseException:  # the store cannot be written, the worker pool broke, or a bug: never left running
            _finish_quietly(results, run_id, "failed")
            raise
        finally:
            bar.close()
        results.finish_run(run_id)
        summary.stored_counts = results.status_counts(summary.keys)
        return summary
    finally:
        if owns_store:
            results.close()


def _check_not_in_use(path: StorePath) -> None:
    """Refuse to run on a store that another live run is writing (the check :meth:`ResultsStore.start_run` makes
    again when the run is recorded). Only reads; a path that is not a readable store yet is left to the opening
    for writing, which creates it or says what is wrong with it."""
    file = Path(path)
    if str(path) == ":memory:" or not file.is_file():
        return
    try:
        results = ResultsStore(file, read_only=True)
    except StoreError:
        return
    with results:
        results.check_not_in_use()


def _finish_quietly(results: ResultsStore, run_id: str, state: str) -> None:
    """Record how a run that stops on an exception ended, where the store can still be written; else the next run
    finds its coordinator gone and marks it ``interrupted``. The exception that stopped it is what is reported."""
    try:
        results.finish_run(run_id, state)
    except StoreError:
        pass


def _prepare_network_tasks(
    name: str, task_ids: Sequence[str], records: str | None, workers: int, progress: bool
) -> str | None:
    """Before the tasks are resolved: for the ``networks`` suite, train its records that are missing; for any run,
    compute the noisy network tasks' truths into their caches on ``workers`` processes
    (:func:`mibench.networks.suite.prepare_records`), so that neither the coordinator nor a worker computes a truth
    while jobs run. Returns the records directory: the one given, or for the ``networks`` suite ``records/`` beside
    the default store when none was given."""
    from mibench.networks.suite import prepare_records

    folder = prepare_records(
        task_ids,
        records,
        default_dir=default_store_path().parent / "records",
        suite_name=name,
        jobs=workers,
        progress=progress,
    )
    return None if folder is None else str(folder.resolve())


def _describe(estimator: str | EstimatorSpec) -> Any:
    """An ``estimators`` entry as recorded in the run's options (JSON)."""
    if isinstance(estimator, EstimatorSpec):
        return {
            "name": estimator.name,
            "params": dict(estimator.params),
            "max_n": estimator.max_n,
            "tasks": None if estimator.tasks is None else list(estimator.tasks),
        }
    return str(estimator)


def _environment() -> Environment:
    from mibench.runner.environment import describe_environment

    return describe_environment()


def _progress_bar(total: int, name: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=f"mibench {name}",
        unit="job",
        disable=not enabled or total == 0,
        dynamic_ncols=True,
        smoothing=0.1,
    )


def run(
    suite: str | os.PathLike[str] | Suite,
    *,
    store: StorePath | ResultsStore | None = None,
    progress: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """Run a suite and return all its results (computed now or earlier) as a pandas DataFrame.

    ``options`` are the other options of :func:`run_suite` (typed there, and in :func:`mibench.run`); ``progress``
    defaults to off here.
    """
    results = (
        ResultsStore(default_store_path() if store is None else store) if not isinstance(store, ResultsStore) else store
    )
    try:
        summary = run_suite(suite, store=results, progress=progress, **options)
        return results.to_dataframe(summary.keys)
    finally:
        if not isinstance(store, ResultsStore):
            results.close()
