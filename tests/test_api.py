"""The public API at the package root, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import mibench


def test_public_names():
    for name in ("list_estimators", "get_estimator", "list_tasks", "get_task", "run", "list_suites", "get_suite"):
        assert callable(getattr(mibench, name)), name
    assert set(mibench.__all__) >= {"list_estimators", "get_estimator", "list_tasks", "get_task", "run"}
    assert mibench.__version__


def test_api_round_trip():
    assert {"ksg", "gaussian"} <= set(mibench.list_estimators())
    estimator = mibench.get_estimator("ksg", k=5)
    assert estimator.get_params() == {"k": 5}
    task = mibench.get_task("gaussian-pairs-1x1-rho0.75")
    x, y = task.sample(2000, seed=0)
    assert abs(estimator.estimate(x, y) - task.mi) < 0.15  # KSG's SD at n=2000 is ~0.02 nats; 0.15 is > 5 SD
    assert [s.name for s in mibench.list_suites()] == ["smoke", "quick", "bmi", "standard"]
    assert mibench.get_suite("smoke").n_jobs == 24


def test_import_is_cheap_and_listing_never_imports_torch():
    code = (
        "import sys, mibench; heavy = [m for m in ('torch', 'pandas', 'matplotlib', 'sklearn') if m in sys.modules];"
        "mibench.list_tasks(); mibench.list_estimators(); mibench.get_estimator('ksg');"
        "print(','.join(heavy) or '-', 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["-", "False"]
