"""mibench: the ground-truth benchmark for mutual-information estimators.

Public API (stable names; everything else may move)::

    import mibench
    mibench.list_estimators()                    # ['gaussian', 'ksg', ...] (built-ins and plugins)
    est = mibench.get_estimator("ksg", k=5)
    mibench.list_tasks(family="gaussian-pairs", max_dim=4)
    task = mibench.get_task("gaussian-pairs-1x1-rho0.75")
    x, y = task.sample(1000, seed=0)
    est.estimate(x, y), task.mi                  # both in nats
    df = mibench.run("smoke")                    # results as a pandas DataFrame

Importing mibench is cheap: estimators, the runner, pandas, plotting and torch load on first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from mibench._version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from mibench.interface import Estimator, Task
    from mibench.runner.store import ResultsStore
    from mibench.suites import EstimatorSpec, Suite

__all__ = [
    "__version__",
    "get_estimator",
    "get_suite",
    "get_task",
    "list_estimators",
    "list_suites",
    "list_tasks",
    "run",
]


def list_estimators() -> list[str]:
    """Names of the registered estimators (built-ins and installed plugins), sorted."""
    from mibench.estimators import list_estimators as _list

    return _list()


def get_estimator(name: str, **params: Any) -> Estimator:
    """An estimator instance by registry name (or ``"package.module:Class"``), with keyword hyperparameters.

    Raises:
        UnknownNameError: no estimator of that name (the message lists close matches).
    """
    from mibench.estimators import get_estimator as _get

    estimator: Estimator = _get(name, **params)
    return estimator


def list_tasks(
    *,
    family: str | None = None,
    dim_x: int | None = None,
    dim_y: int | None = None,
    max_dim: int | None = None,
    min_mi: float | None = None,
    max_mi: float | None = None,
    pattern: str | None = None,
    truth: str | None = None,
    bmi: bool = False,
) -> list[Task]:
    """Catalogue tasks, optionally filtered: by family, dimensions (``max_dim`` bounds ``dim_x + dim_y``), true
    MI in nats, a shell-style ``pattern`` on the id, how the truth is known, or bmi's 40 tasks only."""
    from mibench.synthetic import list_tasks as _list

    return _list(
        family=family,
        dim_x=dim_x,
        dim_y=dim_y,
        max_dim=max_dim,
        min_mi=min_mi,
        max_mi=max_mi,
        pattern=pattern,
        truth=truth,
        bmi=bmi,
    )


def get_task(task_id: str) -> Task:
    """A task by id (catalogue entry, any parametric id such as ``gaussian-pairs-3x2-mi1.5``, or a bmi id).

    Raises:
        UnknownNameError: no task of that id (the message lists close matches).
    """
    from mibench.synthetic import get_task as _get

    return _get(task_id)


def list_suites() -> list[Suite]:
    """The built-in suites."""
    from mibench.suites import list_suites as _list

    return _list()


def get_suite(name: str | os.PathLike[str]) -> Suite:
    """A built-in suite by name, or the suite a TOML file defines (a path, or a string ending in ``.toml``; see
    :mod:`mibench.suite_files`).

    Raises:
        UnknownNameError: no suite of that name.
        SuiteFileError, OSError: a suite file that cannot be read or does not define a usable suite.
    """
    from mibench.suite_files import resolve_suite

    return resolve_suite(name)


def run(
    suite: str | os.PathLike[str] | Suite,
    *,
    store: str | os.PathLike[str] | ResultsStore | None = None,
    jobs: int | None = None,
    timeout: float | Literal["suite"] | None = "suite",
    estimators: Sequence[str | EstimatorSpec] | None = None,
    tasks: Sequence[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    retry_failed: bool = False,
    fresh: bool = False,
    executor: str = "process",
    progress: bool = False,
    records_dir: str | os.PathLike[str] | None = None,
    memory_limit_mb: float | Literal["auto"] | None = "auto",
    threads_per_job: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> pd.DataFrame:
    """Run a suite (name or :class:`mibench.suites.Suite`) and return its results as a pandas DataFrame, one row
    per job (computed now or found in the store: jobs already stored are not recomputed).

    Args:
        suite: a built-in suite name, a suite file (TOML; a path or a string ending in ``.toml``, see
            :mod:`mibench.suite_files`) or a :class:`~mibench.suites.Suite`.
        store: the results store's path (default ``$MIBENCH_STORE`` or ``.mibench/results.sqlite``) or an open
            :class:`~mibench.runner.store.ResultsStore`.
        jobs: parallel worker processes (default: every usable core).
        timeout: per-job limit in seconds; ``"suite"`` for the suite's own; ``None`` for none.
        estimators: only these estimators: names or :class:`mibench.suites.EstimatorSpec` objects; a registered
            name (or ``"package.module:Class"``) that the suite lacks is added with the suite's tasks, sample sizes
            and repetitions.
        tasks: only the suite's tasks matching these ids or shell-style patterns.
        params: hyperparameters per chosen estimator name, over its own (``{"ksg": {"k": 5}}``).
        retry_failed: also rerun jobs stored as failed.
        fresh: recompute every selected job and replace its stored row (recorded in the run's options).
        executor: ``"process"`` (local worker processes) or ``"inline"`` (this process, no time limit).
        progress: show a progress bar on stderr.
        records_dir: the directory of training records (``{record name}.npz``) that the suite's network tasks are
            rebuilt from; a missing record is an error before anything runs. Recorded in the run's options, not
            part of any job's key.
        memory_limit_mb: how much one job may grow its memory (MiB); beyond it the job is stored as ``memory``.
            ``"auto"``: 80 % of the machine's memory divided among the workers; ``None``: no limit.
        threads_per_job: BLAS/OpenMP/torch threads per job, the same on every executor.
        scheduler: run on the existing Dask cluster of this scheduler address (``tcp://HOST:PORT``).
        dask_local: run on a local Dask cluster of this many worker processes.

    Raises:
        UnknownNameError, MissingRecordError, InvalidOptionError, StoreError: see
        :func:`mibench.runner.run_suite` (all are :class:`mibench.errors.MIBenchError`).
    """
    from mibench.runner import run as _run

    return _run(
        suite,
        store=store,
        jobs=jobs,
        timeout=timeout,
        estimators=estimators,
        tasks=tasks,
        params=params,
        retry_failed=retry_failed,
        fresh=fresh,
        executor=executor,
        progress=progress,
        records_dir=records_dir,
        memory_limit_mb=memory_limit_mb,
        threads_per_job=threads_per_job,
        scheduler=scheduler,
        dask_local=dask_local,
    )
