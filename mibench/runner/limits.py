"""Per-job limits inside a worker process: threads, memory, and the processes a job leaves behind.

Memory. A job's estimate runs under an address-space limit (``RLIMIT_AS``, ``man 2 setrlimit``) of the process's
address space when the estimate starts plus the job's memory limit, so an allocation beyond it fails inside the
job (``MemoryError`` from numpy, a "can't allocate memory" ``RuntimeError`` from torch) and the job is recorded as
``memory`` with the limit and what was asked for, instead of the kernel killing a worker or the machine swapping.
The limit counts growth, not the absolute size, because a worker that imported torch already maps a few GB of
address space it never touches (an absolute 1 GB limit breaks ``import torch``); sampling and the estimator's
``prepare()`` run before it starts, so one-time imports do not count. Address space bounds resident memory from
above, so a job can never hold more than its limit; it can be refused a little early when it maps memory it does
not touch (thread stacks, allocator arenas), which the default leaves room for. Where ``RLIMIT_AS`` is not
available (not POSIX) the limit is not applied and the job runs unlimited.

Default limit: :data:`DEFAULT_MEMORY_SHARE` of the machine's physical memory divided among the parallel workers,
so that every worker at its limit still fits the machine. ``--memory-limit`` / ``memory_limit_mb`` sets it.

Processes left behind. Each worker process leads its own process group (``setpgrp``), so every process a job
starts (a plugin that shells out, a multiprocessing pool) is in that group unless it leaves it deliberately. When a
worker is killed (time limit, crash), its group outlives it; :class:`WorkerGroups` records every worker's pid in a
folder of the run and :meth:`WorkerGroups.sweep` kills the group of every recorded worker that is gone, so a
timed-out job's children die with it instead of running on, reparented to PID 1. A pool's folder is named after its
owner (``mibench-{kind}-{pid}-...`` in the temporary directory, :func:`groups_folder`) and removed when the pool
ends; a later pool removes the folders of owners killed before they could (:func:`remove_stale_groups_folders`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "DEFAULT_MEMORY_SHARE",
    "WorkerGroups",
    "address_space_limit",
    "default_memory_limit_mb",
    "groups_folder",
    "is_out_of_memory",
    "new_groups_folder",
    "parse_memory_size",
    "physical_memory_mb",
    "remove_stale_groups_folders",
]

#: Share of the physical memory that the parallel jobs may use together by default.
DEFAULT_MEMORY_SHARE = 0.8

_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNIT_MB = {"": 1.0, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0**2}


def physical_memory_mb() -> float | None:
    """The machine's physical memory in MiB (``None`` where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return None


def default_memory_limit_mb(workers: int) -> float | None:
    """:data:`DEFAULT_MEMORY_SHARE` of the physical memory divided among ``workers`` (``None``: unknown memory)."""
    total = physical_memory_mb()
    return None if total is None else DEFAULT_MEMORY_SHARE * total / max(1, workers)


def parse_memory_size(text: str) -> float | None:
    """A memory size in MiB from ``"512M"``, ``"4G"``, ``"4GiB"``, ``"1.5g"`` or a plain number of MiB; ``"none"``
    for no limit (``None``). Units are binary (1 G = 1024 M).

    Raises:
        ValueError: not a size, or not positive.
    """
    if text.strip().lower() == "none":
        return None
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"memory size {text!r} is not a number with an optional unit K, M, G or T (or 'none')")
    unit = (match["unit"] or "").lower().rstrip("b").rstrip("i")
    size = float(match["number"]) * _UNIT_MB[unit]
    if not size > 0:
        raise ValueError(f"memory size {text!r} must be positive")
    return size


def _address_space_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@contextlib.contextmanager
def address_space_limit(limit_mb: float | None) -> Iterator[None]:
    """Within the block, this process may grow its address space by at most ``limit_mb`` MiB (``None``: no
    limit). The earlier soft limit is restored afterwards; the hard limit is never touched."""
    if limit_mb is None:
        yield
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    current = _address_space_bytes()
    if current is None:  # pragma: no cover - no /proc
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + int(limit_mb * 2**20)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY:
        wanted = min(wanted, soft)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation refused for lack of memory (numpy's ``MemoryError``, torch's
    "can't allocate memory" ``RuntimeError``)."""
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc)


class WorkerGroups:
    """The process groups of a run's worker processes, recorded as one file per worker pid in ``folder``."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)

    def join(self) -> None:
        """Make the calling worker process the leader of its own process group and record its pid."""
        try:
            os.setpgrp()
        except OSError:  # pragma: no cover - already a group or session leader
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / str(os.getpid())).touch()

    def sweep(self, *, everything: bool = False) -> int:
        """Kill the process group of every recorded worker that is gone (``everything``: of every recorded worker,
        at the end of a run, when all of them have been stopped) while the group has live members; forget a
        worker whose group has none left. Returns how many groups were signalled."""
        killed = 0
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return 0
        for entry in entries:
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if not everything and _alive(pid):
                continue
            if _has_live_members(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                    killed += 1
            else:
                entry.unlink(missing_ok=True)
        return killed


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, killed and not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X")


def _has_live_members(pgid: int) -> bool:
    """Whether the process group ``pgid`` has a member that is not a zombie (read from ``/proc``; where that is
    unavailable, whether the group exists at all)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command: state, ppid, pgrp (man 5 proc).
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


#: Folders of :class:`WorkerGroups` in the temporary directory: ``mibench-{kind}-{owner pid}-{random}``.
_GROUPS_FOLDER = re.compile(r"^mibench-(?P<kind>[a-z-]+?)-(?P<owner>\d+)-[^/]+$")


@contextlib.contextmanager
def groups_folder(kind: str) -> Iterator[str]:
    """A new folder for the :class:`WorkerGroups` of a pool owned by this process, removed on exit.

    A pool's owner that is killed (``SIGKILL``) cannot remove its folder, so each new folder first clears those of
    owners that are gone (:func:`remove_stale_groups_folders`): their dead workers' groups are swept as a run
    sweeps them, and a folder is removed once no group it records has a live member.
    """
    remove_stale_groups_folders()
    folder = tempfile.mkdtemp(prefix=f"mibench-{kind}-{os.getpid()}-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_groups_folder(kind: str) -> str:
    """A folder as :func:`groups_folder` gives, for an owner that keeps it for its whole life (a Dask worker's
    pool of job processes): removed by a later pool's clean-up once the owner is gone."""
    remove_stale_groups_folders()
    return tempfile.mkdtemp(prefix=f"mibench-{kind}-{os.getpid()}-")


def remove_stale_groups_folders(directory: str | os.PathLike[str] | None = None) -> int:
    """Sweep and remove the groups folders in ``directory`` (default: the temporary directory) whose owner process
    is gone; a folder that still records a group with live members stays. Returns how many were removed."""
    removed = 0
    root = Path(tempfile.gettempdir() if directory is None else directory)
    for folder in root.glob("mibench-*"):
        match = _GROUPS_FOLDER.match(folder.name)
        if match is None or not folder.is_dir() or _alive(int(match["owner"])):
            continue
        WorkerGroups(folder).sweep()
        with contextlib.suppress(OSError):
            if not any(folder.iterdir()):
                folder.rmdir()
                removed += 1
    return removed
