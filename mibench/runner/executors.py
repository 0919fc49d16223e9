"""Executors: run jobs somewhere and hand each outcome back to the coordinator as it finishes.

* ``process`` (default): a pool of local worker processes (``pebble.ProcessPool``). A job that exceeds the
  time limit has its worker killed and is reported as ``timeout``; a worker that dies (segfault, out of memory)
  is reported as ``error``; the pool replaces the worker and the run goes on.
* ``inline``: in the calling process, one job after another (for debugging and tiny runs; no time limit).
* ``dask``: on a Dask cluster (:mod:`mibench.runner.dask_executor`), each job in a job process on a Dask worker
  under the same limits as ``process``.

Every executor gives a job the same number of BLAS/OpenMP threads (``WorkerSettings.threads``, default 1), so a
job computes the same numbers wherever it runs, and the same memory limit (:mod:`mibench.runner.limits`). Ctrl-C
stops a run from the coordinator: worker processes ignore SIGINT, the jobs in flight are stopped and not stored,
and a rerun resumes with them; a ``KeyboardInterrupt`` raised by a job's own code is only that job's error.

A failure of the pool itself (its workers cannot start, e.g. because a script that calls mibench without an
``if __name__ == "__main__":`` guard is re-imported by each new worker; or the pool breaks down) is not a job's
fault: it raises :class:`~mibench.errors.WorkerPoolError` and reports no outcome for the jobs not finished.

Both call ``on_done(job, outcome)`` in the coordinating process, which alone writes the store. Each job travels
as its :class:`~mibench.runner.jobs.Job` with the run's :class:`~mibench.runner.worker.WorkerSettings`.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import Any

from mibench.errors import WorkerPoolError
from mibench.runner.jobs import Job
from mibench.runner.limits import WorkerGroups, groups_folder
from mibench.runner.schema import Outcome
from mibench.runner.worker import WorkerSettings, execute_job, init_worker

__all__ = [
    "EXECUTORS",
    "GUARD_HINT",
    "OnDone",
    "check_not_importing_main",
    "run_inline",
    "run_processes",
    "timeout_outcome",
]

OnDone = Callable[[Job, Outcome], None]
EXECUTORS = ("process", "inline", "dask")
#: How often (seconds) the coordinator looks for process groups of killed workers while it waits for jobs.
SWEEP_SECONDS = 1.0
#: A pool none of whose worker processes has started (run its initializer) within this many seconds is broken.
WORKER_START_SECONDS = 120.0


#: How to fix the most common cause of a pool whose workers cannot start.
GUARD_HINT = (
    'a script that calls mibench must do so under `if __name__ == "__main__":` (each new worker process '
    "re-imports the main script, and an unguarded call there starts another run); or use the inline executor"
)


def check_not_importing_main() -> None:
    """Raise :class:`~mibench.errors.WorkerPoolError` when called while a worker process re-imports the main
    script (a call to mibench at the top level of a script, without a ``__main__`` guard), before anything runs."""
    inheriting = getattr(multiprocessing.current_process(), "_inheriting", False)  # the stdlib's own check
    frame = sys._getframe()
    while frame is not None and not inheriting:
        inheriting = frame.f_globals.get("__name__") == "__mp_main__"
        frame = frame.f_back
    if inheriting:
        raise WorkerPoolError(f"mibench was called while a worker process was importing the main script: {GUARD_HINT}")


def _pool_error(detail: str) -> WorkerPoolError:
    main = sys.modules.get("__main__")
    hint = f"; if this run was started from a Python script: {GUARD_HINT}" if getattr(main, "__file__", None) else ""
    return WorkerPoolError(
        f"mibench's worker processes failed ({detail}), not a job; the run stopped and nothing was stored for the "
        f"jobs it had not finished{hint}"
    )


def timeout_outcome(timeout: float | None) -> Outcome:
    """The outcome of a job stopped at its time limit (the same on every executor)."""
    return Outcome.failure("timeout", f"job exceeded the time limit of {timeout:g} s and was stopped")


def run_inline(jobs: Sequence[Job], on_done: OnDone, settings: WorkerSettings | None = None) -> None:
    """Run jobs one by one in this process.

    A job's own ``KeyboardInterrupt`` is its error (:func:`~mibench.runner.worker.execute_job`), but Ctrl-C must
    still stop the run: while the jobs run, SIGINT (from the main thread's point of view) marks the run
    interrupted before it raises, and a job that ends under that mark is not stored; the interrupt goes on up.
    """
    import signal
    import threading

    interrupted = False
    main_thread = threading.current_thread() is threading.main_thread()

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    from threadpoolctl import threadpool_limits

    settings = settings or WorkerSettings()
    previous = signal.signal(signal.SIGINT, on_sigint) if main_thread else None
    try:
        with threadpool_limits(limits=settings.threads):
            for job in jobs:
                outcome = execute_job(job, settings)
                if interrupted:
                    raise KeyboardInterrupt
                on_done(job, outcome)
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)


def _mp_context() -> Any:
    # forkserver: workers fork from a clean server that has preloaded the worker module, so they start fast and
    # never inherit the coordinator's threads (fork after OpenMP/torch initialisation can deadlock).
    if sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            ["mibench.runner.worker", "mibench.resolver", "mibench.synthetic", "mibench.estimators"]
        )
        return context
    return multiprocessing.get_context("spawn")


def run_processes(
    jobs: Sequence[Job],
    on_done: OnDone,
    *,
    workers: int,
    timeout: float | None,
    settings: WorkerSettings | None = None,
) -> None:
    """Run jobs in ``workers`` local processes with a per-job time limit (seconds, measured from the job's
    start in its worker). Each worker's BLAS/OpenMP/torch threads are capped at ``settings.threads``; each leads
    its own process group, killed with everything in it when the worker is killed (time limit, crash) or the
    run ends (:class:`~mibench.runner.limits.WorkerGroups`)."""
    settings = settings or WorkerSettings()
    with groups_folder("workers") as folder:
        groups = WorkerGroups(folder)
        try:
            _run_pool(jobs, on_done, workers, timeout, replace(settings, worker_groups=folder), groups)
        finally:
            groups.sweep(everything=True)


def _run_pool(
    jobs: Sequence[Job],
    on_done: OnDone,
    workers: int,
    timeout: float | None,
    settings: WorkerSettings,
    groups: WorkerGroups,
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    from pebble import ProcessExpired, ProcessPool

    pool = ProcessPool(
        max_workers=workers,
        initializer=init_worker,
        initargs=(settings.threads, settings.worker_groups),
        context=_mp_context(),
    )
    try:
        # Keep a bounded window in flight so an interrupt does not leave thousands of scheduled futures.
        queue = list(jobs)
        queue.reverse()
        in_flight: dict[Future[Any], Job] = {}
        window = 4 * workers
        started, any_worker = time.monotonic(), False
        while queue or in_flight:
            while queue and len(in_flight) < window:
                job = queue.pop()
                try:
                    future = pool.schedule(execute_job, args=(job, settings), timeout=timeout)
                except RuntimeError as exc:  # pebble: "Unexpected error within the Pool" once it has broken
                    raise _pool_error(f"{type(exc).__name__}: {exc}") from exc
                in_flight[future] = job
            done, _ = wait(in_flight, timeout=SWEEP_SECONDS, return_when=FIRST_COMPLETED)
            # A pool whose workers die before their first job (an unguarded script re-imported by each of them) can
            # keep replacing them without ever failing a job: stop when none has started in WORKER_START_SECONDS.
            any_worker = any_worker or bool(done) or any(groups.folder.glob("[0-9]*"))
            if not any_worker and time.monotonic() - started > WORKER_START_SECONDS:
                raise _pool_error(f"no worker process started within {WORKER_START_SECONDS:g} s")
            groups.sweep()  # what a killed worker's job started dies with it
            for future in done:
                job = in_flight.pop(future)
                try:
                    outcome = future.result()
                except FutureTimeout:
                    outcome = timeout_outcome(timeout)
                except ProcessExpired as exc:
                    outcome = Outcome.failure("error", f"worker process died (exit code {exc.exitcode}): {exc}")
                except BrokenProcessPool as exc:  # the pool's fault, not the job's: stop, store nothing for it
                    raise _pool_error(f"{type(exc).__name__}: {exc}") from exc
                except Exception as exc:  # e.g. the outcome could not be sent back
                    outcome = Outcome.failure("error", f"{type(exc).__name__}: {exc}")
                on_done(job, outcome)
    except BaseException:
        pool.stop()
        pool.join()
        raise
    pool.close()
    pool.join()
