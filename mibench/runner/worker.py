"""Runs one job in whatever process it lands in (a local worker process, a Dask worker, or inline).

The worker resolves the task (:func:`mibench.resolver.resolve_task`, through the run's records directory for
network tasks), builds the estimator with the parameters the task supplies, draws the sample from the job's seed,
times the estimate under the job's memory limit, measures its extra peak memory and returns an
:class:`~mibench.runner.schema.Outcome`. It never raises for a failing job: any exception out of the job, a
``KeyboardInterrupt`` or ``SystemExit`` raised by its code included, becomes ``status="error"`` with its message
(an allocation beyond the memory limit becomes ``status="memory"``), so one bad job cannot stop a run.
"""

from __future__ import annotations

import inspect
import math
import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mibench.runner.jobs import Job
from mibench.runner.limits import address_space_limit, is_out_of_memory
from mibench.runner.memory import PeakMemory
from mibench.runner.schema import Outcome
from mibench.runner.seeds import derive_seed

__all__ = ["WorkerSettings", "build_estimator", "execute_job", "init_worker", "limit_threads"]


@dataclass(frozen=True)
class WorkerSettings:
    """What every job of a run needs besides its own description (sent with each job; picklable).

    Attributes:
        records_dir: the directory of training records that network tasks are rebuilt from (``None``: the run
            has no network tasks). A run option, not part of any job key.
        memory_limit_mb: how much a job's estimate may grow its process's address space, in MiB (``None``: no
            limit); beyond it the job is recorded as ``memory`` (:mod:`mibench.runner.limits`).
        threads: the BLAS/OpenMP/torch threads of one job, the same on every executor so that a job computes the
            same numbers wherever it runs.
        worker_groups: the folder where worker processes record their process groups
            (:class:`~mibench.runner.limits.WorkerGroups`; ``None``: workers do not lead their own groups).
    """

    records_dir: str | None = None
    memory_limit_mb: float | None = None
    threads: int = 1
    worker_groups: str | None = None


def init_worker(threads: int, worker_groups: str | None = None) -> None:
    """Set up a worker process (local or on a Dask worker) before its first job: only the coordinator handles
    Ctrl-C (SIGINT is ignored here, so an interrupt stops the run from the coordinator and no job in flight is
    stored as failed), the process leads its own process group (recorded in ``worker_groups``, so that what a
    killed job started dies with it), and its threads are capped at ``threads``."""
    import signal

    from mibench.runner.limits import WorkerGroups

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if worker_groups is not None:
        WorkerGroups(worker_groups).join()
    limit_threads(threads)


def limit_threads(threads: int) -> None:
    """Cap BLAS/OpenMP (and torch, if already imported) threads in this process, so ``jobs`` parallel workers
    do not oversubscribe the cores. Called once per worker process."""
    from threadpoolctl import threadpool_limits

    os.environ["MIBENCH_WORKER_THREADS"] = str(threads)
    threadpool_limits(limits=threads)
    import sys

    if "torch" in sys.modules:  # never import torch just for this
        sys.modules["torch"].set_num_threads(threads)


def _cap_torch_threads() -> None:
    """Apply this worker's thread cap to torch before an estimator that needs torch runs (torch is imported
    lazily, so the cap set when the worker started could not reach it)."""
    threads = os.environ.get("MIBENCH_WORKER_THREADS")
    if threads is None:
        return
    import torch

    if torch.get_num_threads() != int(threads):
        torch.set_num_threads(int(threads))


def build_estimator(
    name: str, params: Mapping[str, Any], seed: int, context: Mapping[str, Any] | None = None
) -> tuple[Any, dict[str, Any]]:
    """Instantiate a registered estimator for a job; returns ``(estimator, task_context)``.

    ``task_context`` is what the task supplied (:func:`mibench.interface.task_context_params` of the class's
    tags, the job's ``params`` and the task's ``context``): added to the constructor's parameters, the job's own
    parameters winning name by name. A stochastic estimator without an explicit ``seed`` gets one derived from
    the job's seed (so reruns reproduce it).
    """
    from mibench.estimators import get_estimator_class
    from mibench.interface import task_context_params

    cls = get_estimator_class(name)
    params = dict(params)
    tags = getattr(cls, "tags", None)
    applied: dict[str, Any] = {}
    if context and getattr(tags, "task_context", ()):
        applied = task_context_params(tags, params, context)
        params.update(applied)
    if getattr(tags, "stochastic", False) and params.get("seed") is None:
        if "seed" in inspect.signature(cls.__init__).parameters:
            params["seed"] = derive_seed(seed, "estimator")
    return cls(**params), applied


def execute_job(job: Job, settings: WorkerSettings | None = None) -> Outcome:
    """Run one job; return its outcome (never raises for a failure of the task, the estimator or the sample).

    ``seconds`` is the estimator's wall time, excluding sampling and the estimator's optional one-time
    ``prepare()``; ``peak_memory_mb`` the extra peak RSS during the estimate.
    """
    from mibench import resolver
    from mibench.interface import estimate_value

    settings = settings or WorkerSettings()
    context_info: dict[str, Any] = {}
    try:
        task = resolver.resolve_task(job.task_id, settings.records_dir)
        if task.version != job.task_version:
            raise RuntimeError(f"task {task.id} is at version {task.version}, the job asked for {job.task_version}")
        estimator, applied = build_estimator(job.estimator, job.params_dict, job.seed, task.context)
        if applied:
            context_info = {"task_context": applied}
        if getattr(getattr(estimator, "tags", None), "requires_torch", False):
            _cap_torch_threads()
        prepare = getattr(estimator, "prepare", None)
        if callable(prepare):  # one-time imports and compilation stay out of the job's time and memory
            prepare()
        white_box = task.channel is not None and getattr(getattr(estimator, "tags", None), "white_box", False)
        if white_box:  # the same rows as the noisy sample of this seed, before the noise (see interface.Channel)
            context_info["white_box"] = True
            x, y = task.sample_clean(job.n, job.seed)
        else:
            x, y = task.sample(job.n, job.seed)
        with PeakMemory() as memory, address_space_limit(settings.memory_limit_mb):
            start = time.perf_counter()
            if hasattr(estimator, "estimate_with_info"):
                result = estimator.estimate_with_info(x, y)
                value, info = (
                    estimate_value(result.value, f"{job.estimator}.estimate_with_info(...).value"),
                    dict(result.info),
                )
            else:
                value, info = estimate_value(estimator.estimate(x, y), f"{job.estimator}.estimate"), {}
            seconds = time.perf_counter() - start
    except BaseException as exc:  # KeyboardInterrupt or SystemExit raised by a job is that job's error too
        message = f"{type(exc).__name__}: {exc}"
        if is_out_of_memory(exc) and settings.memory_limit_mb is not None:
            limit = f"{settings.memory_limit_mb:.0f} MiB"
            return Outcome.failure("memory", f"job exceeded the memory limit of {limit}: {message}", info=context_info)
        return Outcome.failure("error", message + "\n" + traceback.format_exc(limit=-3), info=context_info)
    info.update(context_info)
    measured = {"seconds": seconds, "peak_memory_mb": memory.peak_mb, "info": info}
    if info.get("failed"):
        reason = info.get("failure_reason", "no reason given")
        return Outcome.failure("error", f"estimator reported a failure: {reason}", **measured)
    if not math.isfinite(value):
        return Outcome.failure("error", f"estimator returned a non-finite value ({value})", **measured)
    return Outcome.success(value, **measured)
