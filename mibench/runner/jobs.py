"""Jobs: the unit of work, small enough to travel to any worker.

A job is a description -- task id and version, estimator name, hyperparameters and version, n, repetition, seed
-- never data: the worker rebuilds the task and the estimator and draws the sample itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mibench.interface import Task, canonical_json, params_hash
from mibench.runner.seeds import job_seed
from mibench.suites import Suite

__all__ = ["Job", "expand", "iter_jobs", "make_job", "resolve_tasks"]


@dataclass(frozen=True)
class Job:
    """One estimate of one task at one sample size and repetition (picklable: it is what a worker receives)."""

    task_id: str
    task_version: str
    estimator: str
    params: str  # canonical JSON of the hyperparameters
    params_hash: str
    n: int
    repetition: int
    seed: int
    estimator_version: str

    @property
    def key(self) -> str:
        """The job's identity in the results store, ``task@version|estimator#params_hash@estimator_version|n=N|r=R``:
        a rerun of the same job has the same key; a changed task or estimator gives new keys, so it is recomputed
        (see :mod:`mibench.estimators.versions`)."""
        return (
            f"{self.task_id}@{self.task_version}|{self.estimator}#{self.params_hash}@{self.estimator_version}"
            f"|n={self.n}|r={self.repetition}"
        )

    @property
    def params_dict(self) -> dict[str, Any]:
        return json.loads(self.params)


def make_job(
    task_id: str,
    task_version: str,
    estimator: str,
    params: Mapping[str, Any],
    n: int,
    repetition: int,
    estimator_version: str | None = None,
) -> Job:
    """Build a job; its seed is :func:`mibench.runner.seeds.job_seed` of (task id, n, repetition), and its
    estimator version (when not given) :func:`mibench.estimators.versions.estimator_version`."""
    if estimator_version is None:
        from mibench.estimators.versions import estimator_version as version_of

        estimator_version = version_of(estimator)
    return Job(
        task_id=task_id,
        task_version=task_version,
        estimator=estimator,
        params=canonical_json(dict(params)),
        params_hash=params_hash(params),
        n=int(n),
        repetition=int(repetition),
        seed=job_seed(task_id, n, repetition),
        estimator_version=estimator_version,
    )


def resolve_tasks(task_ids: Iterable[str], records_dir: str | os.PathLike[str] | None = None) -> dict[str, Task]:
    """Every task of ``task_ids``, by id, through :func:`mibench.resolver.resolve_task`.

    Raises:
        UnknownNameError: an id names no task.
        MissingRecordError: a network task's record is not in ``records_dir`` (or no directory was given).
    """
    from mibench import resolver

    return {task_id: resolver.resolve_task(task_id, records_dir) for task_id in dict.fromkeys(task_ids)}


def expand(
    suite: Suite,
    records_dir: str | os.PathLike[str] | None = None,
    *,
    tasks: Mapping[str, Task] | None = None,
) -> list[Job]:
    """All jobs of a suite, in a deterministic order (task, n, repetition, estimator).

    Every task id is resolved here (or taken from ``tasks``, already resolved), so an unknown id or a missing
    training record fails before anything runs, and each task's and estimator's version is pinned into its jobs'
    keys.
    Jobs are ordered so the estimators of one sample are adjacent and small n come first. An estimator whose tags
    say ``channel_only`` gets jobs only on noisy-channel tasks (those with a :class:`~mibench.interface.Channel`).
    """
    if tasks is None:
        tasks = resolve_tasks(suite.tasks, records_dir)
    from mibench.estimators.versions import estimator_version

    versions = {task_id: tasks[task_id].version for task_id in suite.tasks}
    estimator_versions = {spec.name: estimator_version(spec.name) for spec in suite.estimators}
    channel_tasks = {task_id for task_id in suite.tasks if tasks[task_id].channel is not None}
    return list(iter_jobs(suite, versions, estimator_versions, channel_tasks))


def _channel_only(name: str) -> bool:
    """Whether the estimator answers only on noisy-channel tasks (``tags.channel_only``)."""
    from mibench.estimators.registry import get_estimator_class

    return bool(getattr(get_estimator_class(name).tags, "channel_only", False))


def iter_jobs(
    suite: Suite, versions: Mapping[str, str], estimator_versions: Mapping[str, str], channel_tasks: set[str]
) -> Iterator[Job]:
    """The jobs in order; an estimator that answers only on channel tasks gets none on other tasks."""
    channel_only = {spec.name: _channel_only(spec.name) for spec in suite.estimators}
    for n in sorted(suite.sample_sizes):
        for task_id in suite.tasks:
            for repetition in range(suite.repetitions):
                for spec in suite.estimators:
                    if not spec.runs_on(task_id, n) or (channel_only[spec.name] and task_id not in channel_tasks):
                        continue
                    yield make_job(
                        task_id, versions[task_id], spec.name, spec.params, n, repetition, estimator_versions[spec.name]
                    )
