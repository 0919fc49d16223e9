"""The machine and software a run ran on, recorded with each run so that timings can be read in context.

:func:`describe_environment` never fails and never imports torch (library versions come from the installed
distributions' metadata). Whatever cannot be found out is ``None``. The coordinator records it when a run starts
(``runs.environment`` in the results store, as JSON); reports list the distinct environments of their rows.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "Environment", "ThreadPool", "describe_environment"]

#: Distributions whose versions are recorded (read from their metadata: none of them is imported).
PACKAGES: tuple[str, ...] = ("numpy", "scipy", "scikit-learn", "pandas", "torch", "numba")

_GIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ThreadPool:
    """A BLAS or OpenMP library loaded in the process, as ``threadpoolctl.threadpool_info()`` reports it."""

    user_api: str | None  # "blas" or "openmp"
    internal_api: str | None  # "openblas", "mkl", "blis", "openmp" ...
    version: str | None
    num_threads: int | None
    prefix: str | None = None  # the library file's name prefix, e.g. "libopenblas"

    def describe(self) -> str:
        """E.g. ``openblas 0.3.27 (libscipy_openblas, 2 threads)``."""
        name = self.internal_api or self.prefix or "unknown"
        version = f" {self.version}" if self.version else ""
        details = [self.prefix] if self.prefix and self.prefix != name else []
        if self.num_threads is not None:
            details.append(f"{self.num_threads} threads")
        return f"{name}{version}" + (f" ({', '.join(details)})" if details else "")


@dataclass(frozen=True)
class Environment:
    """Machine and software of a run.

    Attributes:
        cpu_model: the CPU's model name, or ``None`` where it cannot be read.
        logical_cores: logical CPUs of the machine (``os.cpu_count()``).
        usable_cores: CPUs this process may use (:func:`mibench.resources.available_cores`).
        platform: ``platform.platform()`` (OS, kernel, architecture).
        machine: the architecture (``platform.machine()``).
        hostname: the machine's network name.
        python: the Python version (``platform.python_version()``) and ``python_implementation``.
        packages: versions of :data:`PACKAGES` (``None``: not installed).
        threadpools: BLAS and OpenMP libraries loaded once numpy is imported, with their thread counts in the
            coordinating process (workers cap theirs at ``usable_cores // jobs``).
        mibench_version: the mibench that ran.
        git_commit, git_dirty: the commit of the git checkout mibench runs from, and whether tracked files
            differ from it; both ``None`` when mibench is not run from a git checkout (or git is unavailable).
    """

    cpu_model: str | None
    logical_cores: int | None
    usable_cores: int
    platform: str
    machine: str
    hostname: str
    python: str
    python_implementation: str
    packages: Mapping[str, str | None] = field(default_factory=dict)
    threadpools: tuple[ThreadPool, ...] = ()
    mibench_version: str = ""
    git_commit: str | None = None
    git_dirty: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["packages"] = dict(self.packages)
        out["threadpools"] = [asdict(pool) for pool in self.threadpools]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())  # keys in field order, packages in PACKAGES order

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Environment:
        """Rebuild from :meth:`to_dict` output; keys this version does not know are ignored, missing ones are
        ``None`` (so environments recorded by another mibench version still read)."""
        known = {name for name in cls.__dataclass_fields__}
        values: dict[str, Any] = {name: None for name in known}
        values.update(packages={}, threadpools=(), mibench_version="", usable_cores=0)
        values.update({k: v for k, v in data.items() if k in known})
        values["packages"] = dict(values["packages"] or {})
        pools = []
        for pool in values["threadpools"] or ():
            pools.append(ThreadPool(**{k: pool.get(k) for k in ThreadPool.__dataclass_fields__}))
        values["threadpools"] = tuple(pools)
        for name in ("platform", "machine", "hostname", "python", "python_implementation"):
            values[name] = values[name] or ""
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Environment:
        return cls.from_dict(json.loads(text))

    def describe(self) -> dict[str, str]:
        """Short readable lines for reports: CPU, cores, system, Python, libraries, BLAS/OpenMP, mibench."""
        cores = f"{self.usable_cores} usable"
        if self.logical_cores is not None:
            cores += f" of {self.logical_cores} logical"
        libraries = ", ".join(f"{name} {version}" for name, version in self.packages.items() if version) or "-"
        pools = "; ".join(pool.describe() for pool in self.threadpools) or "not found"
        mibench = self.mibench_version or "unknown"
        if self.git_commit:
            mibench += f", commit {self.git_commit[:12]}" + (" (with uncommitted changes)" if self.git_dirty else "")
        return {
            "CPU": self.cpu_model or "unknown",
            "cores": cores,
            "system": f"{self.platform} ({self.hostname})" if self.hostname else self.platform or "unknown",
            "Python": f"{self.python} ({self.python_implementation})" if self.python_implementation else self.python,
            "libraries": libraries,
            "BLAS/OpenMP": pools,
            "mibench": mibench,
        }


def describe_environment() -> Environment:
    """The environment of this process, now. Never raises; what cannot be found out is ``None``."""
    from mibench._version import __version__
    from mibench.resources import available_cores

    commit, dirty = _git_state(Path(__file__).resolve().parents[1])
    return Environment(
        cpu_model=_cpu_model(),
        logical_cores=os.cpu_count(),
        usable_cores=available_cores(),
        platform=_safe(platform.platform) or "",
        machine=_safe(platform.machine) or "",
        hostname=_safe(socket.gethostname) or "",
        python=platform.python_version(),
        python_implementation=platform.python_implementation(),
        packages={name: _package_version(name) for name in PACKAGES},
        threadpools=_threadpools(),
        mibench_version=__version__,
        git_commit=commit,
        git_dirty=dirty,
    )


def _safe(function: Any) -> Any:
    try:
        return function()
    except Exception:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() in ("model name", "Model", "Hardware", "cpu model") and value.strip():
                return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        out = _run(["sysctl", "-n", "machdep.cpu.brand_string"], Path.cwd())
        if out:
            return out
    return _safe(platform.processor) or None


def _package_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
    except Exception:
        return None


def _threadpools() -> tuple[ThreadPool, ...]:
    try:
        import numpy  # noqa: F401  (loads the BLAS that numpy uses, so threadpoolctl can see it)
        from threadpoolctl import threadpool_info

        info = threadpool_info()
    except Exception:
        return ()
    return tuple(
        ThreadPool(
            user_api=entry.get("user_api"),
            internal_api=entry.get("internal_api"),
            version=entry.get("version"),
            num_threads=entry.get("num_threads"),
            prefix=entry.get("prefix"),
        )
        for entry in info
    )


def _run(command: list[str], cwd: Path) -> str | None:
    """Run a short command; its stripped stdout, or ``None`` on any failure or after the timeout."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def _git_state(package_dir: Path) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git checkout holding ``package_dir``, when the package's own files are tracked
    there (not, say, a virtual environment inside some other repository); ``(None, None)`` otherwise."""
    if not (package_dir / "__init__.py").is_file():
        return None, None
    tracked = _run(["git", "ls-files", "--error-unmatch", "--", "__init__.py"], package_dir)
    if tracked is None:
        return None, None
    commit = _run(["git", "rev-parse", "HEAD"], package_dir)
    if not commit:
        return None, None
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], package_dir)
    return commit, None if status is None else bool(status)
