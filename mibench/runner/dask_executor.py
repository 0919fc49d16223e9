"""The Dask executor: a run's jobs on a Dask cluster (an existing one by its scheduler address, or a local one).

Jobs travel as their small descriptions (:class:`~mibench.runner.jobs.Job` and the run's
:class:`~mibench.runner.worker.WorkerSettings`); each Dask worker draws the sample from the job's seed, so nothing
large is shipped, and each outcome streams back to the coordinator, which alone writes the store, as with local
processes. A bounded window of jobs is in flight, so the scheduler never holds the whole suite.

Where a job runs. A job must be killable at its time limit, and a thread cannot be killed, so on every Dask worker
process the jobs run in a pool of local job processes (``pebble``), one per worker thread, set up exactly as the
local executor's workers (:func:`~mibench.runner.worker.init_worker`: the same thread cap, SIGINT ignored, their
own process groups) and under the same time and memory limits. A job therefore computes the same numbers, and
fails with the same status and message, on Dask as locally. Dask worker processes must be allowed to start child
processes: ``--dask-local`` starts them so, and an existing cluster's workers need the setting
``distributed.worker.daemon: false`` (environment ``DASK_DISTRIBUTED__WORKER__DAEMON=False``); on a worker
without it every job fails with that instruction.

Small jobs travel together. Most of a suite's jobs are very short (binning, the Gaussian baseline, every estimator
at small n), and a Dask task has its own scheduling and transfer cost on top of a job's (benchmarks/test_runner.py
compares the two with and without batches), so the coordinator sends jobs in batches (:func:`next_batch`): a job
goes with the next ones when the measured times of the latest finished jobs of the same estimator configuration
at the same n (:class:`JobTimes`) predict that all of them together take under :data:`BATCH_SECONDS`. A job of
unknown time (nothing like it has finished yet) goes alone, so a slow job never holds up a batch. Each job of a
batch still runs in a job process under its own time limit, and each outcome is stored as its own row.

A lost worker. When a Dask worker dies mid-job (its machine went down, an operator killed it), the scheduler
reruns the job on another worker; ``--dask-local`` allows one such retry (``distributed.scheduler.allowed-failures
= 1``), after which the job is recorded as ``error`` with the reason, and gives each worker only as many jobs as it
has threads (``distributed.scheduler.worker-saturation = 1.0``), so a lost worker takes down only the jobs it was
running, not others queued on it (a batch of small jobs is lost and retried together). An existing cluster applies
its scheduler's own settings.

Files. Network tasks are rebuilt from the run's records directory on the worker: it must be a path that every
worker can read (a shared file system). The coordinator checks that on every worker before anything runs.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from mibench.errors import InvalidOptionError, WorkerPoolError
from mibench.runner.executors import OnDone
from mibench.runner.jobs import Job
from mibench.runner.schema import Outcome
from mibench.runner.worker import WorkerSettings

__all__ = [
    "BATCH_SECONDS",
    "LOCAL_CLUSTER_CONFIG",
    "DaskTarget",
    "JobProcessError",
    "JobTimes",
    "cluster_client",
    "in_job_process",
    "next_batch",
    "run_batch_on_dask_worker",
    "run_dask",
    "run_job_on_dask_worker",
]

#: How long the coordinator tries to reach an existing scheduler.
CONNECT_TIMEOUT = "20s"
#: Dask settings of a cluster that ``--dask-local`` starts (see the module docstring).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.daemon": False,
    "distributed.scheduler.allowed-failures": 1,
    "distributed.scheduler.worker-saturation": 1.0,
}

_DAEMON_HINT = (
    "this Dask worker runs as a daemonic process and cannot start the process that runs a job; start the "
    "workers with the setting distributed.worker.daemon: false (environment DASK_DISTRIBUTED__WORKER__DAEMON=False)"
)


@dataclass(frozen=True)
class DaskTarget:
    """Where a Dask run goes: an existing scheduler (``address``) or a local cluster of ``local_workers`` worker
    processes of one thread each."""

    address: str | None = None
    local_workers: int | None = None

    def __post_init__(self) -> None:
        if (self.address is None) == (self.local_workers is None):
            raise InvalidOptionError("give either a Dask scheduler address or a number of local Dask workers")
        if self.local_workers is not None and self.local_workers < 1:
            raise InvalidOptionError(f"--dask-local needs at least 1 worker, got {self.local_workers}")


# -- on the Dask worker ---------------------------------------------------------------------------------------

_POOL_LOCK = threading.Lock()
_POOL: Any = None
_GROUPS: str | None = None


def _job_pool(threads: int, size: int) -> tuple[Any, str]:
    """This Dask worker process's pool of job processes (created on first use, ``size`` processes)."""
    global _POOL, _GROUPS
    from pebble import ProcessPool

    from mibench.runner.executors import _mp_context
    from mibench.runner.limits import new_groups_folder
    from mibench.runner.worker import init_worker

    with _POOL_LOCK:
        if _POOL is None or not _POOL.active:
            _GROUPS = new_groups_folder("dask-workers")
            _POOL = ProcessPool(
                max_workers=size, initializer=init_worker, initargs=(threads, _GROUPS), context=_mp_context()
            )
        assert _GROUPS is not None
        return _POOL, _GROUPS


def _worker_memory_limit_mb() -> float | None:
    """``"auto"`` on a Dask worker: the worker's Dask memory limit per thread, else a share of the machine's memory
    per core (:data:`~mibench.runner.limits.DEFAULT_MEMORY_SHARE`)."""
    from distributed import get_worker

    from mibench.resources import available_cores
    from mibench.runner.limits import default_memory_limit_mb

    worker = get_worker()
    limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None)
    if limit:
        return limit / 2**20 / max(1, worker.state.nthreads)
    return default_memory_limit_mb(available_cores())


class JobProcessError(RuntimeError):
    """A job could not run in a Dask worker's job process, or that process died (the message says which)."""


def in_job_process(
    function: Callable[..., Any],
    make_args: Callable[[str], tuple[Any, ...]],
    *,
    threads: int,
    timeout: float | None = None,
) -> Any:
    """``function(*make_args(groups))`` in this Dask worker's pool of job processes (one per worker thread, each set
    up with :func:`~mibench.runner.worker.init_worker` and ``threads`` threads), and its result; ``groups`` is the
    folder where those processes record their process groups (:class:`~mibench.runner.limits.WorkerGroups`).

    Raises:
        concurrent.futures.TimeoutError: the call ran past ``timeout`` seconds (its process was killed).
        JobProcessError: the job process died, the pool broke down, or this worker cannot start processes.
    """
    from concurrent.futures.process import BrokenProcessPool

    from distributed import get_worker
    from pebble import ProcessExpired

    from mibench.runner.limits import WorkerGroups

    try:
        pool, groups = _job_pool(threads, get_worker().state.nthreads)
        future = pool.schedule(function, args=make_args(groups), timeout=timeout)
        try:
            return future.result()
        except ProcessExpired as exc:
            raise JobProcessError(f"worker process died (exit code {exc.exitcode}): {exc}") from exc
        finally:
            WorkerGroups(groups).sweep()
    except AssertionError as exc:
        if "daemonic" in str(exc):
            raise JobProcessError(f"cannot run the job: {_DAEMON_HINT}") from exc
        raise JobProcessError(f"{type(exc).__name__}: {exc}") from exc
    except BrokenProcessPool as exc:
        raise JobProcessError(f"the job processes of this Dask worker broke down: {exc}") from exc


def run_job_on_dask_worker(job: Job, settings: WorkerSettings, timeout: float | None, auto_memory: bool) -> Outcome:
    """Run one job in this Dask worker's pool of job processes, under the run's time limit; never raises."""
    from mibench.runner.executors import timeout_outcome
    from mibench.runner.worker import execute_job

    try:
        if auto_memory:
            settings = replace(settings, memory_limit_mb=_worker_memory_limit_mb())
        return in_job_process(
            execute_job,
            lambda groups: (job, replace(settings, worker_groups=groups)),
            threads=settings.threads,
            timeout=timeout,
        )
    except FutureTimeout:
        return timeout_outcome(timeout)
    except JobProcessError as exc:
        return Outcome.failure("error", str(exc))
    except Exception as exc:
        return Outcome.failure("error", f"{type(exc).__name__}: {exc}")


def run_batch_on_dask_worker(
    jobs: Sequence[Job], settings: WorkerSettings, timeout: float | None, auto_memory: bool
) -> list[Outcome]:
    """Run a batch of jobs one after another as :func:`run_job_on_dask_worker` runs each (each in a job process,
    under its own time limit); never raises."""
    return [run_job_on_dask_worker(job, settings, timeout, auto_memory) for job in jobs]


def _records_readable(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.R_OK | os.X_OK)


# -- on the coordinator ----------------------------------------------------------------------------------------


def _client(target: DaskTarget) -> tuple[Any, Any]:
    """A client of the target cluster, and the local cluster it started (``None`` for an existing one)."""
    from distributed import Client, LocalCluster

    if target.address is not None:
        try:
            return Client(target.address, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError) as exc:
            raise WorkerPoolError(f"cannot reach the Dask scheduler at {target.address}: {exc}") from exc
    try:
        cluster = LocalCluster(
            n_workers=target.local_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=0,  # the per-job limit applies (mibench.runner.limits), not Dask's restart of a worker
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    except Exception as exc:
        raise WorkerPoolError(f"cannot start a local Dask cluster of {target.local_workers} workers: {exc}") from exc
    return Client(cluster), cluster


@contextmanager
def cluster_client(target: DaskTarget) -> Iterator[Any]:
    """A client of the target cluster with at least one worker (a local cluster with :data:`LOCAL_CLUSTER_CONFIG`,
    started and waited for); the client, and a local cluster, are closed on exit.

    Raises:
        WorkerPoolError: the scheduler cannot be reached, the local cluster does not start, or there are no workers.
    """
    import dask

    # A local cluster's nannies run in this process and read the settings each time they (re)start a worker.
    with dask.config.set(LOCAL_CLUSTER_CONFIG if target.local_workers is not None else {}):
        client, cluster = _client(target)
        try:
            if target.local_workers is not None:
                client.wait_for_workers(target.local_workers, timeout=120)
            if sum(client.nthreads().values()) == 0:
                raise WorkerPoolError(f"the Dask cluster at {client.scheduler.address} has no workers")
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def run_dask(
    jobs: Sequence[Job],
    on_done: OnDone,
    *,
    target: DaskTarget,
    timeout: float | None,
    settings: WorkerSettings,
    auto_memory: bool = False,
) -> int:
    """Run ``jobs`` on a Dask cluster, calling ``on_done(job, outcome)`` here as each finishes. Returns the number
    of worker threads the cluster had at the start.

    Raises:
        WorkerPoolError: the scheduler cannot be reached, the cluster has no workers, or a worker cannot read the
            records directory; nothing is run then.
    """
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    with cluster_client(target) as client:
        threads = sum(client.nthreads().values())
        if settings.records_dir is not None:
            readable = client.run(_records_readable, settings.records_dir)
            missing = sorted(address for address, ok in readable.items() if not ok)
            if missing:
                raise WorkerPoolError(
                    f"Dask worker(s) {', '.join(missing)} cannot read the records directory {settings.records_dir}; "
                    "network tasks need a path that every worker can read (a shared file system)"
                )
        queue = list(reversed(jobs))
        window = 4 * threads
        in_flight: dict[Any, list[Job]] = {}
        completed = as_completed()
        times = JobTimes()

        def submit() -> None:
            while queue and len(in_flight) < window:
                batch = next_batch(queue, times)
                future = client.submit(run_batch_on_dask_worker, batch, settings, timeout, auto_memory, pure=False)
                in_flight[future] = batch
                completed.add(future)

        submit()
        for future in completed:
            batch = in_flight.pop(future)
            try:
                outcomes = future.result()
            except KilledWorker as exc:
                lost = "the Dask worker running this job was lost, also on retry"
                outcomes = [Outcome.failure("error", f"{lost}: {exc}")] * len(batch)
            except FutureCancelledError as exc:
                outcomes = [Outcome.failure("error", f"the Dask scheduler cancelled this job: {exc}")] * len(batch)
            except Exception as exc:
                outcomes = [Outcome.failure("error", f"{type(exc).__name__}: {exc}")] * len(batch)
            for job, outcome in zip(batch, outcomes, strict=True):
                times.add(job, outcome)
                on_done(job, outcome)
            submit()
        return threads


#: Jobs expected to take less than this (seconds, together) travel to a Dask worker as one Dask task: a Dask task
#: costs milliseconds of scheduling and transfer, which would otherwise dominate the jobs of a millisecond that
#: make up most of a suite (binning and the Gaussian baseline at every n, every estimator at small n).
BATCH_SECONDS = 0.25
#: The most jobs in one batch.
MAX_BATCH = 64
#: Finished jobs per (estimator, parameters, n) whose times predict the next ones'.
_TIMES_KEPT = 16


class JobTimes:
    """The measured seconds of the latest finished jobs of each estimator configuration at each n: their median
    predicts a queued job's time (``None`` while none has finished, or when they failed without a time)."""

    def __init__(self) -> None:
        self._seconds: dict[tuple[str, str, int], list[float]] = {}

    def add(self, job: Job, outcome: Outcome) -> None:
        if outcome.seconds is not None:
            kept = self._seconds.setdefault((job.estimator, job.params_hash, job.n), [])
            kept.append(float(outcome.seconds))
            del kept[:-_TIMES_KEPT]

    def predict(self, job: Job) -> float | None:
        import statistics

        kept = self._seconds.get((job.estimator, job.params_hash, job.n))
        return statistics.median(kept) if kept else None


def next_batch(queue: list[Job], times: JobTimes) -> list[Job]:
    """Take the next jobs off the end of ``queue``: one job, followed by the next ones as long as each has a
    predicted time and all of them together stay under :data:`BATCH_SECONDS` (at most :data:`MAX_BATCH`). A job
    of unknown time goes alone, so a slow job never waits behind others in a batch and a batch's result never
    waits on a slow job."""
    batch = [queue.pop()]
    total = times.predict(batch[0])
    while total is not None and queue and len(batch) < MAX_BATCH:
        predicted = times.predict(queue[-1])
        if predicted is None or total + predicted > BATCH_SECONDS:
            break
        batch.append(queue.pop())
        total += predicted
    return batch
