"""Jobs: the unit of work, small enough to travel to any worker.

A job is a description -- task id and version, estimator name and hyperparameters, n, repetition, seed --
never data: the worker rebuilds the task and the estimator from the registries and draws the sample itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mibench.interface import canonical_json, params_hash
from mibench.runner.seeds import job_seed
from mibench.suites import Suite


@dataclass(frozen=True)
class Job:
    """One estimate of one task at one sample size and repetition."""

    task_id: str
    task_version: str
    estimator: str
    params: str  # canonical JSON of the hyperparameters
    params_hash: str
    n: int
    repetition: int
    seed: int

    @property
    def key(self) -> str:
        """The job's identity in the results store: a rerun of the same job has the same key."""
        return f"{self.task_id}@{self.task_version}|{self.estimator}#{self.params_hash}|n={self.n}|r={self.repetition}"

    @property
    def params_dict(self) -> dict[str, Any]:
        return json.loads(self.params)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_job(
    task_id: str, task_version: str, estimator: str, params: Mapping[str, Any], n: int, repetition: int
) -> Job:
    """Build a job; its seed is :func:`mibench.runner.seeds.job_seed` of (task id, n, repetition)."""
    return Job(
        task_id=task_id,
        task_version=task_version,
        estimator=estimator,
        params=canonical_json(dict(params)),
        params_hash=params_hash(params),
        n=int(n),
        repetition=int(repetition),
        seed=job_seed(task_id, n, repetition),
    )


def expand(suite: Suite) -> list[Job]:
    """All jobs of a suite, in a deterministic order (task, n, repetition, estimator).

    Task ids are resolved here (unknown ids fail before anything runs) to pin each task's version.
    Jobs are ordered so the estimators of one sample are adjacent and small n come first.
    """
    from mibench.synthetic import get_task

    versions = {task_id: get_task(task_id).version for task_id in suite.tasks}
    return list(_iter_jobs(suite, versions))


def _iter_jobs(suite: Suite, versions: Mapping[str, str]) -> Iterator[Job]:
    for n in sorted(suite.sample_sizes):
        for task_id in suite.tasks:
            for repetition in range(suite.repetitions):
                for spec in suite.estimators:
                    if not spec.runs_on(task_id, n):
                        continue
                    yield make_job(task_id, versions[task_id], spec.name, spec.params, n, repetition)
