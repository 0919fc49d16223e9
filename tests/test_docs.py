"""The documentation names only things that exist: every estimator name and task id that README.md and mibench's
docstrings show resolves, the README's estimator table lists exactly the built-in estimators, and nothing under
mibench/ points at files outside the repository."""

from __future__ import annotations

import fnmatch
import re
from functools import cache
from pathlib import Path

import pytest

import mibench
from mibench.estimators.registry import BUILTIN_ESTIMATORS

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

#: Names the README shows on purpose although nothing registers them: the examples of a third-party estimator.
NOT_BUILT_IN = {
    "my-estimator": "the plugin example (an entry point the reader's package declares)",
    "my_package.module:MyEstimator": "the example of naming an unregistered class by import path",
    "copula-gaussian": "the entry point of examples/plugin, registered once that package is installed",
}

_CALL = r"""\(\s*["']([^"']+)["']"""
ESTIMATOR_CALL = re.compile(rf"\b(?:get_estimator|get_estimator_class|check_estimator){_CALL}")
TASK_CALL = re.compile(rf"\bget_task{_CALL}")
ESTIMATOR_OPTION = re.compile(r"--estimators?[ =]([A-Za-z0-9_.:,-]+)")
TASKS_OPTION = re.compile(r"""--tasks?[ =]['"]?([^'"\s]+)""")
TOKEN = re.compile(r"""[`'"]([A-Za-z0-9_.*-]+)[`'"]""")
BMI_ID = re.compile(r"^\d+v\d+-")


def _readme() -> str:
    return README.read_text()


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)


def _module_sources() -> dict[str, str]:
    root = REPO / "mibench"
    return {str(path.relative_to(REPO)): path.read_text() for path in sorted(root.rglob("*.py"))}


@cache
def _catalogue_ids() -> tuple[str, ...]:
    return tuple(task.id for task in mibench.list_tasks())


@cache
def _id_heads() -> frozenset[str]:
    """The first two parts of every base task id (``gaussian-pairs``, ``student-identity``, ``discrete-bsc``...):
    a token that continues one of them with ``-`` is a task id (a family name alone is not)."""
    return frozenset(
        "-".join(task.id.split("-")[:2])
        for task in mibench.list_tasks()
        if task.family not in ("transformed", "concatenation")
    )


def _looks_like_task_id(token: str) -> bool:
    if token.startswith("net-"):
        return True
    return bool(BMI_ID.match(token)) or any(f"{head}-" in token for head in _id_heads())


def _estimator_names_in_readme() -> set[str]:
    text = _readme()
    names = set(ESTIMATOR_CALL.findall(text))
    for block in _code_blocks(text):
        for option in ESTIMATOR_OPTION.findall(block):
            names.update(option.split(","))
    for line in text.splitlines():  # inline code too: `mibench run ... --estimators my-estimator`
        for code in re.findall(r"`([^`]+)`", line):
            for option in ESTIMATOR_OPTION.findall(code):
                names.update(option.split(","))
    names.update(_estimator_table())
    return names


def _task_ids_in_readme() -> set[str]:
    text = _readme()
    ids = set(TASK_CALL.findall(text))
    for block in _code_blocks(text):
        ids.update(TASKS_OPTION.findall(block))
        ids.update(token for token in TOKEN.findall(block) if _looks_like_task_id(token))
    ids.update(token for token in re.findall(r"`([^`\s]+)`", text) if _looks_like_task_id(token))
    return ids


def _estimator_table() -> list[str]:
    """The names in the first column of the README's table under "## Estimators", in order."""
    section = _readme().split("\n## Estimators", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # header and separator
    names: list[str] = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        in_row = re.findall(r"`([^`]+)`", cells[0])
        assert len(in_row) == 1, f"the README's estimator table must give one estimator per row, got {row!r}"
        names.extend(in_row)
    return names


def _resolves_as_estimator(name: str) -> bool:
    try:
        mibench.get_estimator(name)
    except Exception:
        return False
    return True


def _task_problem(task_id: str) -> str | None:
    """Why ``task_id`` (or a ``--tasks`` pattern) does not name a task, or None when it does."""
    if task_id.startswith("net-"):
        from mibench.resolver import is_network_task_id  # network tasks need their training record to resolve

        return None if is_network_task_id(task_id) else "not a well-formed network task id"
    if any(c in task_id for c in "*?["):
        return None if fnmatch.filter(_catalogue_ids(), task_id) else "the pattern matches no catalogue task"
    try:
        mibench.get_task(task_id)
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


# --------------------------------------------------------------------------------------------------------------
# The finders find what they should (so an empty result below is not vacuous)
# --------------------------------------------------------------------------------------------------------------


def test_the_finders_see_the_readme_examples() -> None:
    names = _estimator_names_in_readme()
    assert {"ksg", "my-estimator", "my_package.module:MyEstimator", "kde-upper"} <= names
    ids = _task_ids_in_readme()
    assert {"gaussian-pairs-1x1-rho0.75", "gaussian-pairs-7x3-k2-mi2.5", "1v1-normal-0.75"} <= ids
    assert "gaussian-pairs-5x5-*" in ids  # a --tasks pattern
    assert not {"gaussian-pairs", "student-t", "multinormal-dense", "additive-uniform"} & ids  # families
    assert _looks_like_task_id("spiral-normal_cdf-gaussian-pairs-7x7-mi3")
    assert ESTIMATOR_CALL.findall('get_estimator("ksg", k=3); check_estimator( "gaussian")') == ["ksg", "gaussian"]


# --------------------------------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------------------------------


def test_every_estimator_the_readme_names_resolves() -> None:
    unknown = sorted(
        name for name in _estimator_names_in_readme() if name not in NOT_BUILT_IN and not _resolves_as_estimator(name)
    )
    assert not unknown, f"README.md names estimators that mibench.get_estimator does not know: {unknown}"


def test_the_readme_examples_of_third_party_names_are_not_registered() -> None:
    """The plugin examples must stay examples: a built-in of that name would make the README misleading."""
    assert not set(NOT_BUILT_IN) & set(BUILTIN_ESTIMATORS)


def test_every_task_id_the_readme_shows_resolves() -> None:
    problems = {task_id: _task_problem(task_id) for task_id in sorted(_task_ids_in_readme())}
    problems = {task_id: why for task_id, why in problems.items() if why}
    assert not problems, f"README.md shows task ids that do not resolve: {problems}"


def test_the_readme_estimator_table_lists_exactly_the_built_ins() -> None:
    table = _estimator_table()
    duplicates = sorted({name for name in table if table.count(name) > 1})
    assert not duplicates, f"listed twice in the README's estimator table: {duplicates}"
    missing = sorted(set(BUILTIN_ESTIMATORS) - set(table))
    extra = sorted(set(table) - set(BUILTIN_ESTIMATORS))
    assert not missing and not extra, (
        f"README's estimator table and BUILTIN_ESTIMATORS differ: missing from the table {missing}, "
        f"in the table but not built in {extra}"
    )


# --------------------------------------------------------------------------------------------------------------
# Docstrings (and any other source text) of mibench's modules
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["estimator", "task"])
def test_every_name_in_mibench_docstrings_resolves(kind: str) -> None:
    pattern = ESTIMATOR_CALL if kind == "estimator" else TASK_CALL
    found = {(path, name) for path, text in _module_sources().items() for name in pattern.findall(text)}
    assert found, f"no {kind} calls found in mibench's sources: the pattern is broken"
    if kind == "estimator":
        bad = sorted((path, name) for path, name in found if not _resolves_as_estimator(name))
    else:
        bad = sorted((path, name) for path, name in found if _task_problem(name))
    assert not bad, f"{kind} names in mibench's docstrings that do not resolve: {bad}"


def test_nothing_under_mibench_points_outside_the_repository() -> None:
    """Docstrings and comments state the fact or cite the paper; they do not send the reader to files that only
    exist beside this repository (DESIGN.md, REFERENCES.md, ../shared)."""
    forbidden = re.compile(r"DESIGN\.md|REFERENCES\.md|\.\./shared|/shared/")
    offenders = []
    for path in sorted((REPO / "mibench").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if forbidden.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not offenders, "references to files outside the repository:\n" + "\n".join(offenders)
