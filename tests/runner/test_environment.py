"""The machine and environment recorded with each run."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

import mibench
from mibench.resources import available_cores
from mibench.runner import environment as env_module
from mibench.runner.environment import PACKAGES, Environment, ThreadPool, describe_environment

PACKAGE_DIR = Path(mibench.__file__).resolve().parent


def test_describe_environment_reads_this_process():
    environment = describe_environment()
    assert environment.usable_cores == available_cores() and environment.logical_cores == os.cpu_count()
    assert environment.python == platform.python_version() and environment.platform == platform.platform()
    assert environment.mibench_version == mibench.__version__
    assert set(environment.packages) == set(PACKAGES)
    from importlib.metadata import version

    assert environment.packages["numpy"] == version("numpy") and environment.packages["pandas"] == version("pandas")
    assert any(pool.user_api == "blas" for pool in environment.threadpools)  # numpy's BLAS, via threadpoolctl
    assert all(isinstance(pool.num_threads, int) for pool in environment.threadpools)
    if Path("/proc/cpuinfo").exists():
        assert environment.cpu_model


def test_environment_round_trips_through_json():
    environment = describe_environment()
    text = environment.to_json()
    assert Environment.from_json(text) == environment
    assert json.loads(text)["packages"]["numpy"] == environment.packages["numpy"]
    # Written by another mibench version: unknown keys ignored, missing ones empty.
    older = Environment.from_dict({"usable_cores": 2, "python": "3.10.0", "future_field": 1})
    assert older.usable_cores == 2 and older.cpu_model is None and older.packages == {} and older.threadpools == ()


def test_describe_environment_never_imports_torch():
    code = (
        "import sys; from mibench.runner.environment import describe_environment; "
        "e = describe_environment(); print('torch' in sys.modules, e.packages['torch'] is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def test_git_commit_and_dirty_flag_of_the_checkout():
    commit, dirty = env_module._git_state(PACKAGE_DIR)
    if _git("ls-files", "--error-unmatch", "__init__.py") is None:
        assert (commit, dirty) == (None, None)
    else:
        assert commit == _git("rev-parse", "HEAD")
        assert dirty == bool(_git("status", "--porcelain", "--untracked-files=no"))


def test_no_git_checkout_gives_none(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    assert env_module._git_state(tmp_path) == (None, None)
    assert env_module._git_state(tmp_path / "absent") == (None, None)


def test_git_failures_never_raise(monkeypatch):
    def hangs(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout", 0))

    monkeypatch.setattr(env_module.subprocess, "run", hangs)
    assert env_module._git_state(PACKAGE_DIR) == (None, None)

    def missing(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(env_module.subprocess, "run", missing)
    environment = describe_environment()
    assert environment.git_commit is None and environment.git_dirty is None


def test_unavailable_facts_are_none(monkeypatch):
    monkeypatch.setattr(env_module, "_cpu_model", lambda: None)
    monkeypatch.setattr(env_module, "_threadpools", lambda: ())
    monkeypatch.setattr(env_module, "PACKAGES", ("numpy", "no-such-distribution-xyz"))
    environment = describe_environment()
    assert environment.cpu_model is None and environment.threadpools == ()
    assert environment.packages["no-such-distribution-xyz"] is None
    lines = environment.describe()
    assert lines["CPU"] == "unknown" and lines["BLAS/OpenMP"] == "not found"


def test_describe_lines_for_reports():
    environment = Environment(
        cpu_model="Test CPU 3000",
        logical_cores=8,
        usable_cores=2,
        platform="Linux-6.0-x86_64",
        machine="x86_64",
        hostname="box",
        python="3.11.7",
        python_implementation="CPython",
        packages={"numpy": "2.0.0", "torch": None},
        threadpools=(ThreadPool("blas", "openblas", "0.3.27", 2, "libopenblas"),),
        mibench_version="0.1.0",
        git_commit="0123456789abcdef0123",
        git_dirty=True,
    )
    lines = environment.describe()
    assert lines["CPU"] == "Test CPU 3000" and lines["cores"] == "2 usable of 8 logical"
    assert lines["libraries"] == "numpy 2.0.0"
    assert lines["BLAS/OpenMP"] == "openblas 0.3.27 (libopenblas, 2 threads)"
    assert lines["mibench"] == "0.1.0, commit 0123456789ab (with uncommitted changes)"
    assert lines["Python"] == "3.11.7 (CPython)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        environment.usable_cores = 4  # type: ignore[misc]
