"""Run a suite: expand it into jobs, skip what the store already has, execute the rest, store each result.

The coordinating process is the only writer of the store and writes one transaction per finished job, so a
run stopped at any point (Ctrl-C, SIGKILL, power loss after a commit) resumes by running the same command
again: only missing jobs are computed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mibench._version import __version__
from mibench.runner.executors import EXECUTORS, available_cores, run_inline, run_processes
from mibench.runner.jobs import Job, expand
from mibench.runner.store import ResultsStore, default_store_path, utc_now
from mibench.suites import Suite, get_suite

#: Default of ``run_suite(timeout=...)``: use the suite's own per-job limit.
SUITE_TIMEOUT: Any = object()


@dataclass
class RunSummary:
    """What a run did. ``keys`` are the job keys of the (selected) suite, for reading its rows back."""

    run_id: str
    suite: str
    store_path: str
    n_jobs: int
    n_already_done: int
    counts: dict[str, int] = field(default_factory=lambda: {"ok": 0, "error": 0, "timeout": 0})
    interrupted: bool = False
    keys: list[str] = field(default_factory=list, repr=False)

    @property
    def n_run(self) -> int:
        return sum(self.counts.values())


def _row(job: Job, outcome: dict[str, Any], run_id: str) -> dict[str, Any]:
    from mibench.synthetic import get_task

    task = get_task(job.task_id)
    return {
        "key": job.key,
        "task_id": job.task_id,
        "task_version": job.task_version,
        "family": task.family,
        "dim_x": task.dim_x,
        "dim_y": task.dim_y,
        "estimator": job.estimator,
        "params": job.params,
        "params_hash": job.params_hash,
        "n": job.n,
        "repetition": job.repetition,
        "seed": job.seed,
        "estimate": outcome["estimate"] if outcome["status"] == "ok" else None,
        "true_mi": task.mi,
        "mi_stderr": task.mi_stderr,
        "seconds": outcome["seconds"],
        "peak_memory_mb": outcome["peak_memory_mb"],
        "status": outcome["status"],
        "error": outcome["error"],
        "info": outcome["info"],
        "mibench_version": __version__,
        "finished_at": utc_now(),
        "run_id": run_id,
    }


def run_suite(
    suite: str | Suite,
    *,
    store: str | os.PathLike[str] | ResultsStore | None = None,
    jobs: int | None = None,
    timeout: float | None = SUITE_TIMEOUT,
    estimators: Sequence[str] | None = None,
    tasks: Sequence[str] | None = None,
    retry_failed: bool = False,
    executor: str = "process",
    progress: bool = True,
) -> RunSummary:
    """Run the jobs of ``suite`` that the store does not have yet.

    Args:
        suite: a built-in suite name or a :class:`~mibench.suites.Suite`.
        store: a results store or its path (default :func:`~mibench.runner.store.default_store_path`).
        jobs: parallel worker processes (default: all available cores).
        timeout: per-job limit in seconds; default the suite's own; ``None`` for no limit.
        estimators: run only these estimators of the suite.
        tasks: run only the suite's tasks matching these ids or shell-style patterns.
        retry_failed: also rerun jobs stored as ``error`` or ``timeout`` (by default a failed job counts as
            done: its failure is a result).
        executor: ``"process"`` (local worker processes) or ``"inline"`` (this process, no time limit).
        progress: show a progress bar with ETA on stderr.
    """
    suite = get_suite(suite)
    if estimators or tasks:
        suite = suite.select(estimators=estimators, tasks=tasks)
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    workers = available_cores() if jobs is None else int(jobs)
    if workers < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    limit = suite.timeout if timeout is SUITE_TIMEOUT else timeout
    if limit is not None and limit <= 0:
        raise ValueError(f"timeout must be positive seconds or None, got {limit}")

    all_jobs = expand(suite)
    owns_store = not isinstance(store, ResultsStore)
    results = ResultsStore(default_store_path() if store is None else store) if owns_store else store
    assert isinstance(results, ResultsStore)
    try:
        done_statuses = ("ok",) if retry_failed else ("ok", "error", "timeout")
        finished = results.finished_keys(done_statuses)
        pending = [job for job in all_jobs if job.key not in finished]
        options = {
            "jobs": workers,
            "timeout": limit,
            "executor": executor,
            "retry_failed": retry_failed,
            "estimators": list(estimators or []),
            "tasks": list(tasks or []),
        }
        run_id = results.start_run(suite.name, options, len(all_jobs), len(pending), __version__)
        summary = RunSummary(
            run_id,
            suite.name,
            results.path,
            len(all_jobs),
            len(all_jobs) - len(pending),
            keys=[job.key for job in all_jobs],
        )
        bar = _progress_bar(len(pending), suite.name, progress)

        def on_done(job: Job, outcome: dict[str, Any]) -> None:
            results.record(_row(job, outcome, run_id))
            summary.counts[outcome["status"]] += 1
            bar.update(1)
            failed = summary.counts["error"] + summary.counts["timeout"]
            if failed:
                bar.set_postfix(failed=failed, refresh=False)

        try:
            if executor == "inline":
                run_inline(pending, on_done)
            else:
                run_processes(pending, on_done, workers=workers, timeout=limit)
        except KeyboardInterrupt:
            summary.interrupted = True
            results.finish_run(run_id, "interrupted")
            raise
        finally:
            bar.close()
        results.finish_run(run_id)
        return summary
    finally:
        if owns_store:
            results.close()


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


def run(suite: str | Suite, **options: Any) -> Any:
    """Run a suite and return all its results (computed now or earlier) as a pandas DataFrame.

    Takes the options of :func:`run_suite` (``store``, ``jobs``, ``timeout``, ``estimators``, ``tasks``,
    ``retry_failed``, ``executor``, ``progress``; ``progress`` defaults to off here).
    """
    options.setdefault("progress", False)
    store = options.pop("store", None)
    results = (
        ResultsStore(default_store_path() if store is None else store) if not isinstance(store, ResultsStore) else store
    )
    try:
        summary = run_suite(suite, store=results, **options)
        return results.to_dataframe(summary.keys)
    finally:
        if not isinstance(store, ResultsStore):
            results.close()
