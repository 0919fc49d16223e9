"""Read a user's own sample from a file for ``mibench estimate``.

Formats:

* ``.npy`` -- one 2-D numeric array, rows are samples;
* ``.npz`` -- either arrays named ``x`` and ``y`` (used as they are) or exactly one 2-D array (a table);
* ``.csv`` -- numeric columns, with or without a header row (a first row that is not all numbers is a header).

Columns are chosen with ``x_cols`` / ``y_cols``: comma-separated 0-based indices, ranges ``a:b`` (``b``
excluded) or CSV header names. By default x is the first column and y all the others; if only one side is
given, the other side is every remaining column.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from mibench.errors import DataFileError

FORMATS = (".npy", ".npz", ".csv")


def load_sample(
    path: str | os.PathLike[str], x_cols: str | None = None, y_cols: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(x, y)`` from a data file (see the module docstring for formats and column selection).

    Raises:
        DataFileError: missing, unreadable or malformed file, unknown format, non-numeric data, or a bad
            column selection; the message says which.
    """
    file = Path(path)
    if not file.is_file():
        raise DataFileError(f"no such file: {file}")
    suffix = file.suffix.lower()
    if suffix not in FORMATS:
        raise DataFileError(f"unsupported file type {suffix or '(none)'!r} for {file}; use one of {', '.join(FORMATS)}")
    if suffix == ".npz":
        pair = _read_npz_pair(file)
        if pair is not None:
            if x_cols or y_cols:
                raise DataFileError(f"{file} holds arrays 'x' and 'y'; --x-cols/--y-cols apply to single tables only")
            return pair
    table, names = _read_table(file, suffix)
    x_index, y_index = _select_columns(table.shape[1], names, x_cols, y_cols)
    return table[:, x_index], table[:, y_index]


def _read_npz_pair(file: Path) -> tuple[np.ndarray, np.ndarray] | None:
    arrays = _load_npz(file)
    if "x" in arrays and "y" in arrays:
        return _numeric(arrays["x"], f"{file}['x']"), _numeric(arrays["y"], f"{file}['y']")
    return None


def _load_npz(file: Path) -> dict[str, np.ndarray]:
    """Every member of an ``.npz`` archive as an array; a member that is not an ``.npy`` array is an error that
    names it (numpy would hand back such a member's raw bytes)."""
    try:
        data = np.load(file, allow_pickle=False)
    except Exception as exc:
        raise DataFileError(f"cannot read {file} as .npz: {exc}") from exc
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise DataFileError(f"{file} is a single .npy array, not an .npz archive; name it .npy")
    arrays: dict[str, np.ndarray] = {}
    with data:
        for name in data.files:
            try:
                member = data[name]
            except Exception as exc:
                raise DataFileError(f"cannot read member {name!r} of {file}: {exc}") from exc
            if not isinstance(member, np.ndarray):
                raise DataFileError(
                    f"member {name!r} of {file} is not an .npy array; an .npz file for mibench holds only arrays "
                    "saved by numpy (np.savez)"
                )
            arrays[name] = member
    return arrays


def _numeric(array: np.ndarray, what: str) -> np.ndarray:
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataFileError(f"{what} is not numeric (dtype {array.dtype})")
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise DataFileError(f"{what} must be 1-D or 2-D, got shape {array.shape}")
    return array


def _read_table(file: Path, suffix: str) -> tuple[np.ndarray, list[str] | None]:
    if suffix == ".npy":
        try:
            array = np.load(file, allow_pickle=False)
        except Exception as exc:
            raise DataFileError(f"cannot read {file} as .npy: {exc}") from exc
        return _table(array, str(file)), None
    if suffix == ".npz":
        arrays = _load_npz(file)
        if len(arrays) != 1:
            raise DataFileError(
                f"{file} must hold arrays 'x' and 'y', or exactly one table; it holds {sorted(arrays) or 'nothing'}"
            )
        ((name, array),) = arrays.items()
        return _table(array, f"{file}[{name!r}]"), None
    return _read_csv(file)


def _table(array: np.ndarray, what: str) -> np.ndarray:
    array = _numeric(array, what)
    if array.shape[1] < 2:
        raise DataFileError(f"{what} has {array.shape[1]} column; x and y need at least two columns in all")
    return array


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(file: Path) -> tuple[np.ndarray, list[str] | None]:
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:  # -sig: drop the BOM of Excel exports
            reader = csv.reader(handle)
            numbered = [(reader.line_num, row) for row in reader if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"cannot read {file} as CSV: {exc}") from exc
    if not numbered:
        raise DataFileError(f"{file} is empty")
    names = None
    if not all(_is_number(cell) for cell in numbered[0][1]):
        names = [cell.strip() for cell in numbered[0][1]]
        numbered = numbered[1:]
    if not numbered:
        raise DataFileError(f"{file} has a header but no data rows")
    rows = [row for _, row in numbered]
    width = len(rows[0])
    for line, row in numbered:  # line: the file's line number, blank lines counted
        if len(row) != width:
            raise DataFileError(f"{file}, data row at line {line}: {len(row)} fields, expected {width}")
        for column, cell in enumerate(row):
            if not _is_number(cell):
                label = names[column] if names and column < len(names) else str(column)
                raise DataFileError(f"{file}, line {line}, column {label!r}: {cell.strip()!r} is not a number")
    if names is not None and len(names) != width:
        raise DataFileError(f"{file}: header has {len(names)} names but rows have {width} fields")
    return _table(np.array(rows, dtype=np.float64), str(file)), names


def _parse_columns(spec: str, n_columns: int, names: list[str] | None, side: str) -> list[int]:
    chosen: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if names is not None and part in names:
            chosen.append(names.index(part))
        elif ":" in part:
            lo, _, hi = part.partition(":")
            try:
                start, stop = int(lo) if lo.strip() else None, int(hi) if hi.strip() else None
            except ValueError:
                raise DataFileError(f"{side}: bad column range {part!r}") from None
            chosen.extend(range(n_columns)[start:stop])  # Python slice rules: negative bounds count from the end
        else:
            try:
                index = int(part)
            except ValueError:
                known = f"; columns are {', '.join(names)}" if names else ""
                raise DataFileError(f"{side}: unknown column {part!r}{known}") from None
            if not -n_columns <= index < n_columns:
                raise DataFileError(f"{side}: column {index} out of range; the file has {n_columns} columns")
            chosen.append(index % n_columns)
    if not chosen:
        raise DataFileError(f"{side}: selects no columns")
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        shown = [names[c] if names is not None and c < len(names) else c for c in repeated]
        raise DataFileError(f"{side}: column(s) {shown} selected more than once; name each column once")
    return chosen


def _select_columns(
    n_columns: int, names: list[str] | None, x_cols: str | None, y_cols: str | None
) -> tuple[list[int], list[int]]:
    if x_cols is None and y_cols is None:
        return [0], list(range(1, n_columns))
    x_index = _parse_columns(x_cols, n_columns, names, "--x-cols") if x_cols is not None else None
    y_index = _parse_columns(y_cols, n_columns, names, "--y-cols") if y_cols is not None else None
    if x_index is None:
        x_index = [c for c in range(n_columns) if c not in set(y_index or [])]
    if y_index is None:
        y_index = [c for c in range(n_columns) if c not in set(x_index)]
    overlap = sorted(set(x_index) & set(y_index))
    if overlap:
        raise DataFileError(f"columns {overlap} are selected for both x and y")
    if not x_index or not y_index:
        raise DataFileError("x and y each need at least one column")
    return x_index, y_index
