"""The local Dask cluster the Dask tests run on (each module starts one through its own module-scoped fixture)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of ``n_workers`` worker processes of one thread each, set up as
    ``--dask-local`` sets up its own (:data:`~mibench.runner.dask_executor.LOCAL_CLUSTER_CONFIG`)."""
    import dask
    from distributed import LocalCluster

    from mibench.runner.dask_executor import LOCAL_CLUSTER_CONFIG

    # The settings stay for the cluster's life: its nannies read them whenever they restart a worker.
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=0,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            yield cluster
        finally:
            cluster.close()
