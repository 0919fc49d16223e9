"""Job expansion, executors, progress, the results store and reading results back."""

from mibench.errors import StoreError
from mibench.runner.environment import Environment, describe_environment
from mibench.runner.jobs import Job, expand, make_job, resolve_tasks
from mibench.runner.results import export_results, load_results, run_environments
from mibench.runner.run import RunSummary, run, run_suite
from mibench.runner.schema import RESULT_COLUMNS, STATUSES, Outcome, ResultRow
from mibench.runner.seeds import derive_seed, job_seed
from mibench.runner.store import ResultsStore, default_store_path
from mibench.runner.worker import WorkerSettings, execute_job

__all__ = [
    "RESULT_COLUMNS",
    "STATUSES",
    "Environment",
    "Job",
    "Outcome",
    "ResultRow",
    "ResultsStore",
    "RunSummary",
    "StoreError",
    "WorkerSettings",
    "default_store_path",
    "derive_seed",
    "describe_environment",
    "execute_job",
    "expand",
    "export_results",
    "job_seed",
    "load_results",
    "make_job",
    "resolve_tasks",
    "run",
    "run_environments",
    "run_suite",
]
