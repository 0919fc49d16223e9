"""Runs one job in whatever process it lands in (a local worker process, a Dask worker, or inline).

The worker rebuilds the task and the estimator from the registries, draws the sample from the job's seed,
times the estimate, measures its extra peak memory, and returns a small dict. It never raises for a failing
estimator: the exception becomes ``status="error"`` with its message, so one bad job cannot stop a run.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import time
import traceback
from typing import Any

from mibench.runner.memory import PeakMemory
from mibench.runner.seeds import derive_seed

_MAX_ERROR_CHARS = 4000


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


def build_estimator(name: str, params: dict[str, Any], seed: int) -> Any:
    """Instantiate a registered estimator; a stochastic one without an explicit ``seed`` gets one derived from
    the job's seed (so reruns reproduce it)."""
    from mibench.estimators import get_estimator_class

    cls = get_estimator_class(name)
    params = dict(params)
    tags = getattr(cls, "tags", None)
    if getattr(tags, "stochastic", False) and params.get("seed") is None:
        if "seed" in inspect.signature(cls.__init__).parameters:
            params["seed"] = derive_seed(seed, "estimator")
    return cls(**params)


def _to_jsonable_info(info: Any) -> str:
    try:
        return json.dumps(dict(info), default=float, allow_nan=True)
    except Exception as exc:
        return json.dumps({"unserialisable_info": f"{type(exc).__name__}: {exc}"})


def execute_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job description (see :class:`mibench.runner.jobs.Job`); return its outcome.

    Keys of the outcome: ``status`` ("ok" or "error"), ``estimate`` (float nats or None), ``seconds`` (the
    estimator's wall time, excluding sampling and the estimator's optional one-time ``prepare()``),
    ``peak_memory_mb`` (extra peak RSS during the estimate, or None), ``error`` (message or None), ``info`` (JSON
    string).
    """
    outcome: dict[str, Any] = {
        "status": "error",
        "estimate": None,
        "seconds": None,
        "peak_memory_mb": None,
        "error": None,
        "info": "{}",
    }
    try:
        from mibench.synthetic import get_task

        task = get_task(job["task_id"])
        if task.version != job["task_version"]:
            raise RuntimeError(f"task {task.id} is at version {task.version}, the job asked for {job['task_version']}")
        estimator = build_estimator(job["estimator"], json.loads(job["params"]), job["seed"])
        if getattr(getattr(estimator, "tags", None), "requires_torch", False):
            _cap_torch_threads()
        prepare = getattr(estimator, "prepare", None)
        if callable(prepare):  # one-time imports and compilation stay out of the job's time and memory
            prepare()
        x, y = task.sample(job["n"], job["seed"])
        with PeakMemory() as memory:
            start = time.perf_counter()
            if hasattr(estimator, "estimate_with_info"):
                result = estimator.estimate_with_info(x, y)
                value, info = float(result.value), dict(result.info)
            else:
                value, info = float(estimator.estimate(x, y)), {}
            seconds = time.perf_counter() - start
        outcome.update(seconds=seconds, peak_memory_mb=memory.peak_mb, info=_to_jsonable_info(info))
        if info.get("failed"):
            outcome["error"] = f"estimator reported a failure: {info.get('failure_reason', 'no reason given')}"
        elif not math.isfinite(value):
            outcome["error"] = f"estimator returned a non-finite value ({value})"
        else:
            outcome.update(status="ok", estimate=value)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        tb = traceback.format_exc(limit=-3)
        outcome["error"] = (message + "\n" + tb)[:_MAX_ERROR_CHARS]
    return outcome
