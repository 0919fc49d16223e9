"""Suites defined in TOML files (``mibench run --suite-file FILE``), beside the built-in ones.

A suite file holds the keys of :meth:`mibench.suites.Suite.to_dict` at its top level::

    name = "my-gaussians"                   # letters, digits, '.', '_' and '-'; not a built-in suite's name
    description = "Gaussian pairs for my estimator"
    tasks = ["gaussian-pairs-*-mi1", "student-identity-2x2-nu1"]
    sample_sizes = [300, 1000, 3000]
    repetitions = 5
    timeout = 120                          # seconds per job (default 600; "none" for no limit)
    estimators = ["ksg", "gaussian"]       # names, or tables as below

    [[estimators]]
    name = "kde"
    params = { bandwidth = 0.5 }
    max_n = 1000                           # only n <= 1000
    tasks = ["gaussian-*"]                 # only tasks matching these patterns

``estimators`` is either a list of names or an array of tables (``[[estimators]]``), not both. A task entry with
shell-style wildcards (``*``, ``?``, ``[``) is replaced by every catalogue task id it matches (in catalogue order; an
entry that matches nothing is an error); any other entry is a task id (parametric ids such as
``gaussian-pairs-3x2-mi1.5`` included). Every estimator name and its hyperparameters and every task id are checked
when the file is read, so a mistake is one error naming the file, before anything runs.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from mibench.errors import SuiteFileError
from mibench.suites import Suite

__all__ = ["SUITE_NAME_PATTERN", "is_suite_file", "load_suite_file", "parse_suite", "resolve_suite"]

#: What a suite's name may be (it appears in commands, file names and the results store).
SUITE_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_WILDCARDS = re.compile(r"[*?\[]")


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteFileError(f"{path}: not a valid TOML suite file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise SuiteFileError(f"{path}: not a TOML suite file (not UTF-8 text: {exc})") from exc


def is_suite_file(value: str | os.PathLike[str]) -> bool:
    """Whether ``value`` names a suite file rather than a built-in suite: a path object, or a string ending in
    ``.toml``."""
    return isinstance(value, os.PathLike) or str(value).lower().endswith(".toml")


def resolve_suite(value: str | os.PathLike[str] | Suite) -> Suite:
    """A suite given any way the API and the CLI accept one: a :class:`~mibench.suites.Suite` (unchanged), a suite
    file (see :func:`is_suite_file`) or a built-in suite's name.

    Raises:
        UnknownNameError: no built-in suite has this name (the message lists them).
        SuiteFileError, OSError: a suite file that cannot be read or defines no usable suite.
    """
    from mibench.suites import get_suite

    if isinstance(value, Suite):
        return value
    if isinstance(value, str | os.PathLike) and is_suite_file(value):
        return load_suite_file(value)
    return get_suite(value)  # type: ignore[arg-type]  # a name that is not a string gets the same clear error


def load_suite_file(path: str | os.PathLike[str]) -> Suite:
    """The suite a TOML file defines (see the module docstring).

    Raises:
        FileNotFoundError / OSError: the file cannot be opened.
        SuiteFileError: not TOML, or not a usable suite: a missing or unknown key, a wrong type, a built-in
            suite's name, an unknown estimator or hyperparameter, a task id or pattern that names no task.
    """
    path = Path(path)
    return parse_suite(_read_toml(path), source=str(path))


def parse_suite(data: dict[str, Any], *, source: str = "suite file") -> Suite:
    """The suite of already parsed TOML data; ``source`` names it in error messages (see :func:`load_suite_file`)."""
    from mibench.suites import list_suites

    def fail(message: str) -> SuiteFileError:
        return SuiteFileError(f"{source}: {message}")

    data = dict(data)
    name = data.get("name")
    if isinstance(name, str) and not SUITE_NAME_PATTERN.fullmatch(name):
        raise fail(f"suite name {name!r} may hold only letters, digits, '.', '_' and '-' (a letter or digit first)")
    builtin = [suite.name for suite in list_suites()]
    if name in builtin:
        raise fail(f"{name!r} is a built-in suite; give the file's suite another name (built-in: {', '.join(builtin)})")
    if isinstance(data.get("tasks"), list):
        try:
            data["tasks"] = _expand_task_patterns(data["tasks"])
        except ValueError as exc:
            raise fail(str(exc)) from None
    try:
        suite = Suite.from_dict(data)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        _check_estimators(suite)
        _check_tasks(suite)
    except ValueError as exc:  # UnknownNameError is a ValueError; its message lists what is available
        raise fail(str(exc)) from None
    return suite


def _expand_task_patterns(entries: list[Any]) -> list[Any]:
    """Entries with wildcards replaced by the catalogue ids they match; duplicates dropped, order kept."""
    import fnmatch

    from mibench.synthetic import list_tasks

    catalogue: list[str] | None = None
    out: dict[Any, None] = {}
    for entry in entries:
        if not isinstance(entry, str) or not _WILDCARDS.search(entry):
            out[entry] = None
            continue
        if catalogue is None:
            catalogue = [task.id for task in list_tasks()]
        matched = [task_id for task_id in catalogue if fnmatch.fnmatchcase(task_id, entry)]
        if not matched:
            raise ValueError(f"task pattern {entry!r} matches no catalogue task (see `mibench list tasks`)")
        out.update(dict.fromkeys(matched))
    return list(out)


def _check_estimators(suite: Suite) -> None:
    """Every estimator is registered (or an importable path) and takes its hyperparameters."""
    from mibench.estimators.registry import get_estimator

    for spec in suite.estimators:
        get_estimator(spec.name, **dict(spec.params))


def _check_tasks(suite: Suite) -> None:
    """Every task id names a task (network tasks are checked when a run resolves them in its records folder)."""
    from mibench.resolver import is_network_task_id
    from mibench.synthetic import get_task

    for task_id in suite.tasks:
        if not is_network_task_id(task_id):
            get_task(task_id)
