"""Accuracy benchmarks by estimator name: every estimator of the suite (plus installed plugins, or those named by
``--mibench-estimators``) on every task and sample size of the suite (``--mibench-suite``, default ``smoke``).

Each test times one ``estimate(x, y)`` with pytest-benchmark and records, outside the timed region, the bias, SD
and RMSE over the seeds (``--mibench-seeds``, default the suite's repetitions) in ``extra_info`` (nats); see
:mod:`mibench.pytest_plugin`. ``--mibench-baseline OLD.json`` fails a test whose RMSE grew by more than
``max(0.02 nats, 5 % of the truth)`` over the saved run's.

Run::

    .venv/bin/python -m pytest benchmarks/test_accuracy.py --benchmark-json out.json
    .venv/bin/python -m pytest benchmarks/test_accuracy.py --mibench-estimators ksg,kl --mibench-suite quick \\
        --mibench-tasks 'gaussian-pairs-2x2-*' --mibench-baseline out.json
"""

from __future__ import annotations

import pytest


@pytest.mark.benchmark(group="accuracy")
def test_accuracy(mi_benchmark, mibench_estimator, mibench_task, mibench_n):
    mi_benchmark(mibench_estimator, mibench_task, mibench_n)
