"""Estimator versions: a built-in's source digest, a plugin's distribution version, a declared version."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from mibench.estimators import clear_registry_cache
from mibench.estimators.versions import SOURCE_PREFIX, estimator_version, source_digest
from tests.estimators.test_registry import (  # noqa: F401  (fresh_registry: the same autouse fixture here)
    PLUGIN_MODULE,
    fresh_registry,
    install_fake_distribution,
)

DIGEST = re.compile(rf"{SOURCE_PREFIX}[0-9a-f]{{12}}")


def test_a_builtin_has_a_digest_of_its_source_shared_by_the_classes_of_one_module() -> None:
    version = estimator_version("ksg")
    assert DIGEST.fullmatch(version)
    assert estimator_version("ksg2") == version  # one module, one version
    assert len({estimator_version(name) for name in ("ksg", "kde", "gaussian", "binning", "kl", "mine")}) == 6


def test_building_builtin_versions_imports_no_estimator_module_nor_torch() -> None:
    code = (
        "import sys\n"
        "from mibench.estimators.registry import BUILTIN_ESTIMATORS\n"
        "from mibench.estimators.versions import estimator_version\n"
        "[estimator_version(name) for name in BUILTIN_ESTIMATORS]\n"
        "loaded = [m for m in sys.modules if m == 'torch' or m.startswith('mibench.estimators.neural.engine')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _package(root: Path) -> None:
    """devpkg: ``est`` imports ``helper`` inside a function and ``other`` not at all; ``plain`` is a module
    imported with ``from devpkg.plain import name``."""
    package = root / "devpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "est.py").write_text(
        textwrap.dedent(
            """
            from devpkg.plain import CONSTANT

            def f():
                from devpkg import helper
                from . import sibling
                return helper.g() + sibling.h() + CONSTANT
            """
        )
    )
    (package / "helper.py").write_text("def g():\n    return 1\n")
    (package / "sibling.py").write_text("def h():\n    return 2\n")
    (package / "plain.py").write_text("CONSTANT = 3\n")
    (package / "other.py").write_text("X = 1\n")


def test_the_digest_follows_imports_within_the_package_and_nothing_else(tmp_path, monkeypatch) -> None:
    _package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = source_digest("devpkg.est", "devpkg")
    assert source_digest("devpkg.est", "devpkg") == before
    assert "devpkg.plain" not in sys.modules  # found without importing the module it hashes

    (tmp_path / "devpkg" / "other.py").write_text("X = 2\n")  # not imported by est
    (tmp_path / "devpkg" / "__init__.py").write_text("# re-exports only\n")
    assert source_digest("devpkg.est", "devpkg") == before
    for changed in ("helper.py", "sibling.py", "plain.py", "est.py"):  # every module it imports, transitively
        path = tmp_path / "devpkg" / changed
        original = path.read_text()
        path.write_text(original + "# edited\n")
        assert source_digest("devpkg.est", "devpkg") != before, changed
        path.write_text(original)
    assert source_digest("devpkg.est", "devpkg") == before


def test_a_builtin_edit_changes_its_version_and_only_its_own(tmp_path, monkeypatch) -> None:
    """An edit to a built-in's module (or a helper it imports) gives it a new version; others keep theirs."""
    import mibench.estimators.versions as versions

    real = versions._source_file
    ksg_file, gaussian_version = real("mibench.estimators.ksg"), estimator_version("gaussian")
    neighbors = real("mibench.estimators._neighbors")
    ksg_version = estimator_version("ksg")
    for edited in (ksg_file, neighbors):
        copy = tmp_path / edited.name
        copy.write_bytes(edited.read_bytes() + b"\n# edited\n")
        monkeypatch.setattr(versions, "_source_file", lambda m, e=edited, c=copy: c if real(m) == e else real(m))
        clear_registry_cache()
        assert estimator_version("ksg") != ksg_version and estimator_version("gaussian") == gaussian_version
        monkeypatch.setattr(versions, "_source_file", real)
    clear_registry_cache()
    assert estimator_version("ksg") == ksg_version


def test_a_plugin_has_its_distributions_version(tmp_path, monkeypatch) -> None:
    install_fake_distribution(tmp_path, "fakeplugin", "1.4.2", {"const": "fakeplugin_mod:Constant"}, PLUGIN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    clear_registry_cache()
    assert estimator_version("const") == "1.4.2"


def test_a_declared_version_wins_and_an_unowned_import_path_gets_a_digest(tmp_path, monkeypatch) -> None:
    (tmp_path / "devpkg_declared.py").write_text(PLUGIN_MODULE + "\n\nclass Declared(Constant):\n    version = ' 7 '\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert estimator_version("devpkg_declared:Declared") == "7"
    assert DIGEST.fullmatch(estimator_version("devpkg_declared:Constant"))
