"""A directory of training records plus a JSON manifest: the stored half of an information-plane study.

Layout of a study directory (see :mod:`~mibench.networks.study`)::

    DIR/manifest.json             the study configuration and what was run (JSON, written by the study)
    DIR/records/{name}.npz        one TrainingRecord per (activation, seed, configuration); name = record.name
    DIR/records/{name}.rejected.json   a run discarded by the restart rule (so a resumed study does not redo it)
    DIR/records/{name}.truths.json     the Monte-Carlo truths of the record's noisy tasks (mibench.networks.noisy)
    DIR/results.sqlite            the runner's results store: the estimators' jobs on the records' network tasks

Records are written atomically (a temporary file in the same folder, then ``os.replace``), so an interrupted
study never leaves a half-written ``.npz`` that a resumed one would trust. :func:`load_record` caches loaded
records by (resolved path, modification time, size): loading the same unchanged file twice costs nothing, and a
rewritten file is read again.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mibench.networks.training import TrainingRecord

__all__ = [
    "MANIFEST",
    "RECORDS",
    "clear_record_cache",
    "list_records",
    "load_record",
    "load_records",
    "read_manifest",
    "record_file",
    "record_path",
    "rejected_file",
    "rejected_path",
    "save_record",
    "save_record_file",
    "write_json",
    "write_manifest",
]

MANIFEST = "manifest.json"
RECORDS = "records"


def record_file(records_dir: str | os.PathLike[str], name: str) -> Path:
    """The file of the record called ``name`` (:attr:`TrainingRecord.name`) in a records directory (the folder
    of ``.npz`` files that network tasks are rebuilt from)."""
    return Path(records_dir) / f"{name}.npz"


def record_path(directory: str | os.PathLike[str], name: str) -> Path:
    """Where the record called ``name`` (:attr:`TrainingRecord.name`) lives in the study ``directory``."""
    return record_file(Path(directory) / RECORDS, name)


def rejected_path(directory: str | os.PathLike[str], name: str) -> Path:
    """The marker of a run the restart rule discarded (JSON: why), beside the records."""
    return rejected_file(Path(directory) / RECORDS, name)


def _atomic_write(path: Path, write: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_record(record: TrainingRecord, directory: str | os.PathLike[str]) -> Path:
    """Write ``record`` to ``directory/records/{record.name}.npz`` (atomically); returns the path."""
    return _atomic_write(record_path(directory, record.name), record.save)


def save_record_file(record: TrainingRecord, records_dir: str | os.PathLike[str]) -> Path:
    """Write ``record`` to ``records_dir/{record.name}.npz`` (a records directory, atomically); returns the path."""
    return _atomic_write(record_file(records_dir, record.name), record.save)


def rejected_file(records_dir: str | os.PathLike[str], name: str) -> Path:
    """The marker of a run the restart rule discarded, in a records directory."""
    return Path(records_dir) / f"{name}.rejected.json"


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int, size: int) -> TrainingRecord:
    return TrainingRecord.load(path)


def load_record(path: str | os.PathLike[str]) -> TrainingRecord:
    """Load a record (``.npz``), cached by resolved path, modification time and size.

    The returned record is shared between callers that load the same unchanged file: treat it as read-only.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _load_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


def clear_record_cache() -> None:
    """Forget every cached record."""
    _load_cached.cache_clear()


def list_records(directory: str | os.PathLike[str]) -> list[Path]:
    """The record files of a study directory, sorted by name (an empty list if there are none)."""
    folder = Path(directory) / RECORDS
    return sorted(folder.glob("*.npz")) if folder.is_dir() else []


def load_records(directory: str | os.PathLike[str]) -> dict[str, TrainingRecord]:
    """Every record of a study directory by record name."""
    return {path.stem: load_record(path) for path in list_records(directory)}


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented, key-sorted JSON (atomically); returns the path."""
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=True) + "\n"
    return _atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_manifest(directory: str | os.PathLike[str], manifest: dict[str, Any]) -> Path:
    """Write the study manifest ``directory/manifest.json``."""
    return write_json(Path(directory) / MANIFEST, manifest)


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The study manifest of ``directory``, or ``None`` if there is none.

    Raises:
        ValueError: the manifest exists but is not a JSON object.
    """
    path = Path(directory) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable study manifest ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a study manifest must be a JSON object")
    return data
