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

from typing import TYPE_CHECKING, Any

from mibench._version import __version__

if TYPE_CHECKING:
    from mibench.interface import Task

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
    """Names of the registered estimators (built-ins and installed plugins)."""
    from mibench.estimators import list_estimators as _list

    return _list()


def get_estimator(name: str, **params: Any) -> Any:
    """An estimator instance by registry name, with hyperparameters."""
    from mibench.estimators import get_estimator as _get

    return _get(name, **params)


def list_tasks(**filters: Any) -> list[Task]:
    """Catalogue tasks; filters: family, dim_x, dim_y, max_dim, min_mi, max_mi, pattern."""
    from mibench.synthetic import list_tasks as _list

    return _list(**filters)


def get_task(task_id: str) -> Task:
    """A task by id (catalogue entry or any parametric id such as ``gaussian-pairs-3x2-mi1.5``)."""
    from mibench.synthetic import get_task as _get

    return _get(task_id)


def list_suites() -> list[Any]:
    """The built-in suites."""
    from mibench.suites import list_suites as _list

    return _list()


def get_suite(name: str) -> Any:
    """A built-in suite by name."""
    from mibench.suites import get_suite as _get

    return _get(name)


def run(suite: Any, **options: Any) -> Any:
    """Run a suite (name or :class:`mibench.suites.Suite`) and return its results as a pandas DataFrame.

    Options: ``store`` (path; default ``.mibench/results.sqlite``), ``jobs``, ``timeout``, ``estimators``,
    ``tasks``, ``retry_failed``, ``executor`` ("process" or "inline"), ``progress``. Jobs already in the store
    are not recomputed.
    """
    from mibench.runner import run as _run

    return _run(suite, **options)
