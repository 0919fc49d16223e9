"""One way from a task id to a task, for every kind of ground truth: what the runner's workers call.

* Synthetic ids (catalogue entries and any parametric id) resolve through :func:`mibench.synthetic.get_task`.
* Network ids (``net-...-e{epoch}-l{layer}-{xt|ty}``, ``...-codes``, and the noisy ``...-b{noise}``; see
  :mod:`mibench.networks.tasks`) name a training record; they resolve through a *records directory* holding
  ``{record name}.npz`` files. The directory is a run option (``records_dir``), not part of the job key: the
  record's digest is in the task's version, so results of another record with the same name never mix. A noisy
  task's Monte-Carlo truth is read from the record's truth cache in the same directory
  (:mod:`mibench.networks.noisy`), which the runner's coordinator fills before any worker starts.

Resolved network tasks are cached per process (by id, directory and the record file's modification time and
size), so a worker builds each task once however many jobs it runs on it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from mibench.errors import MIBenchError, UnknownNameError
from mibench.interface import Task

__all__ = ["MissingRecordError", "is_network_task_id", "resolve_task"]


class MissingRecordError(MIBenchError, ValueError):
    """A network task names a training record that the records directory does not hold (or no directory given)."""


def is_network_task_id(task_id: str) -> bool:
    """Whether ``task_id`` has the form of a network task id (it may still name a missing record)."""
    from mibench.networks.tasks import parse_task_id

    return parse_task_id(task_id) is not None


def resolve_task(task_id: str, records_dir: str | os.PathLike[str] | None = None) -> Task:
    """The task called ``task_id``.

    Raises:
        MissingRecordError: a network task id without a records directory, or whose record is not there.
        UnknownNameError: no task of that id (a network id whose epoch or layer the record lacks included).
    """
    from mibench.networks.records import record_file
    from mibench.networks.tasks import parse_task_id

    parts = parse_task_id(task_id)
    if parts is None:
        from mibench.synthetic import get_task

        return get_task(task_id)
    if records_dir is None:
        raise MissingRecordError(
            f"task {task_id!r} is a network task: give the directory of its training records "
            "(records_dir=..., or --records DIR on the command line)"
        )
    path = record_file(records_dir, str(parts["record"]))
    if not path.is_file():
        raise MissingRecordError(
            f"task {task_id!r} needs the training record {parts['record']!r}, which is not in {records_dir} "
            f"(expected {path}); train it with `mibench ib run` or point the run at the right records directory"
        )
    stat = path.stat()
    return _network_task(task_id, str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _network_task(task_id: str, path: str, mtime_ns: int, size: int) -> Task:
    from mibench.networks.records import load_record
    from mibench.networks.tasks import task_from_id

    record = load_record(path)
    task = task_from_id(record, task_id, records_dir=Path(path).parent)
    if task is None:
        available = [f"e{e}" for e in record.epochs.tolist()]
        raise UnknownNameError(
            "network task",
            task_id,
            [f"{record.name}-{e}-l1..l{record.n_layers}-xt|ty[-codes|-b<noise>]" for e in available],
        )
    return task
