"""Tests mirror the package: every public module ``mibench/a/b.py`` has its tests in ``tests/a/test_b.py``.

A public module is one whose name does not start with ``_`` (``__init__.py`` and private helpers such as
``estimators/_neighbors.py`` are tested through the modules that use them). A module tested elsewhere is listed in
:data:`COVERED_ELSEWHERE` with the test module that covers it and why; the list holds only such exceptions, so an
entry goes when its module gets a mirror or disappears.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Public modules without a mirror test: module -> (the test module that covers it, why it lives there).
COVERED_ELSEWHERE: dict[str, tuple[str, str]] = {
    "mibench/estimators/neural/config.py": (
        "tests/estimators/test_neural.py",
        "the neural package has one test module; every hyperparameter check is exercised through the estimators",
    ),
    "mibench/estimators/neural/critics.py": (
        "tests/estimators/test_neural.py",
        "the neural package has one test module (critic shapes and the separable/joint equivalence)",
    ),
    "mibench/estimators/neural/engine.py": (
        "tests/estimators/test_neural.py",
        "the neural package has one test module (split, early stopping, held-out failures, the runner path)",
    ),
    "mibench/estimators/neural/estimators.py": (
        "tests/estimators/test_neural.py",
        "the neural package has one test module (the estimator classes, conformance kit included)",
    ),
    "mibench/estimators/neural/objectives.py": (
        "tests/estimators/test_neural.py",
        "the neural package has one test module (each bound against its written-out definition)",
    ),
    "mibench/ib_cli.py": (
        "tests/networks/test_ib_cli.py",
        "the `mibench ib` commands are tested beside the network studies they drive",
    ),
    "mibench/networks/records.py": (
        "tests/networks/test_study.py",
        "records are written, reloaded, cached, listed and rejected by the study that produces them",
    ),
    "mibench/report/markdown.py": (
        "tests/report/test_report.py",
        "the report package is tested through its public functions (write_report)",
    ),
    "mibench/report/tables.py": (
        "tests/report/test_report.py",
        "the report package is tested through its public functions (scores_markdown, in nats and bits)",
    ),
    "mibench/runner/jobs.py": (
        "tests/runner/test_seeds_and_jobs.py",
        "jobs are tested with the seeds they carry (expansion of a suite into its grid of jobs)",
    ),
    "mibench/runner/seeds.py": (
        "tests/runner/test_seeds_and_jobs.py",
        "the seeds' documented definition is tested with the jobs that carry them",
    ),
}


def public_modules() -> list[str]:
    """``mibench/...`` paths of the public modules (no leading underscore, no ``__init__``)."""
    return sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "mibench").rglob("*.py")
        if not path.name.startswith("_") and "__pycache__" not in path.parts
    )


def mirror(module: str) -> str:
    """``mibench/a/b.py`` -> ``tests/a/test_b.py``."""
    path = Path(module).relative_to("mibench")
    return str(Path("tests") / path.parent / f"test_{path.name}")


def test_mirror_paths() -> None:
    assert mirror("mibench/estimators/ksg.py") == "tests/estimators/test_ksg.py"
    assert mirror("mibench/scoring.py") == "tests/test_scoring.py"
    assert mirror("mibench/estimators/neural/engine.py") == "tests/estimators/neural/test_engine.py"
    assert "mibench/estimators/_neighbors.py" not in public_modules()
    assert "mibench/estimators/ksg.py" in public_modules()


def test_every_public_module_has_its_tests() -> None:
    missing = [
        f"{module}: expected {mirror(module)}"
        for module in public_modules()
        if not (REPO / mirror(module)).is_file() and module not in COVERED_ELSEWHERE
    ]
    assert not missing, (
        "public modules without a mirror test (add the test module, or name the module that covers it and why in "
        "COVERED_ELSEWHERE in tests/test_layout.py):\n" + "\n".join(missing)
    )


def test_the_exceptions_are_current() -> None:
    """Each listed module still exists, still lacks a mirror (otherwise the entry is noise), and its covering
    test module exists."""
    modules = set(public_modules())
    stale = []
    for module, (covering, reason) in COVERED_ELSEWHERE.items():
        if module not in modules:
            stale.append(f"{module}: no such public module any more")
        elif (REPO / mirror(module)).is_file():
            stale.append(f"{module}: has its mirror {mirror(module)} now; remove the entry")
        if not (REPO / covering).is_file():
            stale.append(f"{module}: the covering test module {covering} does not exist")
        if not reason.strip():
            stale.append(f"{module}: give the reason it is tested in {covering}")
    assert not stale, "COVERED_ELSEWHERE in tests/test_layout.py is out of date:\n" + "\n".join(stale)
