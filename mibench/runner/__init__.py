"""Job expansion, executors, progress and the results store."""

from mibench.runner.jobs import Job, expand, make_job
from mibench.runner.run import RunSummary, run, run_suite
from mibench.runner.seeds import derive_seed, job_seed
from mibench.runner.store import ResultsStore, StoreError, default_store_path

__all__ = [
    "Job",
    "ResultsStore",
    "RunSummary",
    "StoreError",
    "default_store_path",
    "derive_seed",
    "expand",
    "job_seed",
    "make_job",
    "run",
    "run_suite",
]
