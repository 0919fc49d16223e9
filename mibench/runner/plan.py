"""What a run would do, without running it (``mibench run SUITE --dry-run``): how many jobs its grid has, how many
the store already holds, and what the rest would cost, estimated from the times measured in the store.

The estimate. Each job still to run gets the median measured estimator time (``seconds`` of ``ok`` rows, any
version) of the closest measured jobs: the same estimator configuration on the same task at the same n; else the same
configuration at that n on tasks of a similar joint dimension (:data:`DIMENSION_BANDS`: the cost of k-NN and
neural estimators grows with it); else the same configuration at that n over all tasks; else the same estimator
(any parameters) at that n. A job at an n where its
configuration was never measured, but which was measured at two or more other sizes, gets the power law
``t = a n^b`` fitted by least squares to the logarithms of its median times per n (extrapolated, counted apart:
at n far beyond the measured ones this is a rough guide, and a method whose cost grows faster at large n is
underestimated). A job with none of these has no estimate and is counted apart too. ``seconds`` is the
estimate's own time (sampling, start-up and the transfer of results are not in it), so the measured part is a lower
bound on the CPU time; dividing it by the number of parallel workers gives a lower bound on the wall time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mibench.runner.jobs import Job, expand, resolve_tasks
from mibench.suites import EstimatorSpec, Suite

__all__ = ["DIMENSION_BANDS", "RunPlan", "dimension_band", "estimate_seconds", "plan_jobs", "plan_run"]


@dataclass(frozen=True)
class RunPlan:
    """A run's size and estimated cost (see the module docstring)."""

    suite: str
    n_jobs: int
    n_stored: int
    n_to_run: int
    n_estimated: int
    estimated_seconds: float
    n_extrapolated: int = 0

    @property
    def n_unestimated(self) -> int:
        """Jobs to run with no measured time of their estimator at their n in the store."""
        return self.n_to_run - self.n_estimated

    def describe(self, workers: int | None = None) -> str:
        """The plan in a few lines, for the command line."""
        lines = [f"suite {self.suite}: {self.n_jobs} jobs, {self.n_stored} already stored, {self.n_to_run} to run"]
        if self.n_to_run:
            if self.n_estimated:
                hours = self.estimated_seconds / 3600
                source = "from times measured in the store" + (
                    f"; {self.n_extrapolated} extrapolated in n from other sizes" if self.n_extrapolated else ""
                )
                lines.append(
                    f"estimated estimator time of {self.n_estimated} of them ({source}): {hours:.2f} CPU-hours"
                    + (f", about {hours / workers:.2f} h of wall time on {workers} workers" if workers else "")
                    + " (a lower bound: sampling and start-up are not included)"
                )
            if self.n_unestimated:
                lines.append(
                    f"{self.n_unestimated} job(s) have no measured time of their estimator at their n in this store"
                )
        return "\n".join(lines)


#: Joint-dimension bands (``dim_x + dim_y``, inclusive upper bounds) within which measured times stand for each other.
DIMENSION_BANDS = (2, 4, 10, 20, 60, 200, 600, 2000)


def dimension_band(joint_dim: int) -> int:
    """The index of the band of :data:`DIMENSION_BANDS` holding ``joint_dim`` (one past the last beyond them)."""
    return next((i for i, top in enumerate(DIMENSION_BANDS) if joint_dim <= top), len(DIMENSION_BANDS))


def _median_times(frame: Any) -> tuple[dict[tuple, float], ...]:
    ok = frame[(frame["status"] == "ok") & frame["seconds"].notna()].copy()
    ok["band"] = [dimension_band(int(x) + int(y)) for x, y in zip(ok["dim_x"], ok["dim_y"], strict=True)]
    by_task = ok.groupby(["estimator", "params_hash", "task_id", "n"])["seconds"].median().to_dict()
    by_band = ok.groupby(["estimator", "params_hash", "band", "n"])["seconds"].median().to_dict()
    by_config = ok.groupby(["estimator", "params_hash", "n"])["seconds"].median().to_dict()
    by_name = ok.groupby(["estimator", "n"])["seconds"].median().to_dict()
    return by_task, by_band, by_config, by_name


def _power_laws(by_config: Mapping[tuple, float]) -> dict[tuple[str, str], tuple[float, float]]:
    """Per estimator configuration measured at two or more n: ``(log a, b)`` of ``t = a n^b`` (least squares on the
    logarithms of the median times per n)."""
    import numpy as np

    sizes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for (estimator, params_hash, n), seconds in by_config.items():
        if seconds > 0:
            sizes.setdefault((estimator, params_hash), []).append((np.log(n), np.log(seconds)))
    laws = {}
    for config, points in sizes.items():
        if len(points) >= 2:
            log_n, log_t = np.array(points).T
            slope, intercept = np.polyfit(log_n, log_t, 1)
            laws[config] = (float(intercept), float(slope))
    return laws


def estimate_seconds(
    jobs: Sequence[Job], frame: Any, joint_dims: Mapping[str, int] | None = None
) -> tuple[int, float, int]:
    """``(jobs with an estimate, their total estimated seconds, how many of them extrapolated in n)`` from the
    stored rows ``frame`` (see the module docstring); ``joint_dims`` maps task ids to ``dim_x + dim_y``."""
    import math

    if frame is None or frame.empty:
        return 0, 0.0, 0
    by_task, by_band, by_config, by_name = _median_times(frame)
    laws = _power_laws(by_config)
    joint_dims = joint_dims or {}
    count, total, extrapolated = 0, 0.0, 0
    for job in jobs:
        seconds = by_task.get((job.estimator, job.params_hash, job.task_id, job.n))
        if seconds is None and job.task_id in joint_dims:
            seconds = by_band.get((job.estimator, job.params_hash, dimension_band(joint_dims[job.task_id]), job.n))
        if seconds is None:
            seconds = by_config.get((job.estimator, job.params_hash, job.n))
        if seconds is None:
            seconds = by_name.get((job.estimator, job.n))
        if seconds is None and (job.estimator, job.params_hash) in laws:
            intercept, slope = laws[(job.estimator, job.params_hash)]
            seconds = math.exp(intercept + slope * math.log(job.n))
            extrapolated += 1
        if seconds is not None:
            count += 1
            total += float(seconds)
    return count, total, extrapolated


def plan_run(
    suite: str | os.PathLike[str] | Suite,
    *,
    store: str | os.PathLike[str] | None = None,
    estimators: Sequence[str | EstimatorSpec] | None = None,
    tasks: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    retry_failed: bool = False,
    fresh: bool = False,
    records_dir: str | os.PathLike[str] | None = None,
) -> RunPlan:
    """The plan of ``run_suite`` with these arguments (see :func:`~mibench.runner.run.run_suite`); only reads the
    store (never creates or changes it) and never trains records.

    Raises:
        UnknownNameError, MissingRecordError, StoreError: as ``run_suite`` would before anything runs.
    """
    from mibench.runner.schema import STATUS_OK, STATUSES
    from mibench.runner.store import ResultsStore, default_store_path
    from mibench.suite_files import resolve_suite

    chosen = resolve_suite(suite)
    if estimators or tasks or params:
        chosen = chosen.select(estimators=estimators, tasks=tasks, params=params)
    records = None if records_dir is None else str(Path(records_dir).resolve())
    resolved = resolve_tasks(chosen.tasks, records)
    jobs = expand(chosen, tasks=resolved)
    path = Path(default_store_path() if store is None else store)
    frame = None
    finished: set[str] = set()
    if path.is_file():
        with ResultsStore(path, read_only=True) as results:
            finished = set() if fresh else results.finished_keys((STATUS_OK,) if retry_failed else STATUSES)
            frame = results.to_dataframe()
    joint_dims = {task_id: task.dim_x + task.dim_y for task_id, task in resolved.items()}
    return plan_jobs(chosen.name, jobs, finished, frame, joint_dims)


def plan_jobs(
    suite: str, jobs: Sequence[Job], finished: set[str], frame: Any, joint_dims: Mapping[str, int] | None = None
) -> RunPlan:
    """The :class:`RunPlan` of ``jobs`` when the store holds the keys ``finished`` and the measured rows ``frame``
    (``None``: no store); ``joint_dims`` as for :func:`estimate_seconds`."""
    pending = [job for job in jobs if job.key not in finished]
    n_estimated, seconds, n_extrapolated = estimate_seconds(pending, frame, joint_dims)
    return RunPlan(
        suite=suite,
        n_jobs=len(jobs),
        n_stored=len(jobs) - len(pending),
        n_to_run=len(pending),
        n_estimated=n_estimated,
        estimated_seconds=seconds,
        n_extrapolated=n_extrapolated,
    )
