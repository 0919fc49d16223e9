"""The estimator registry: built-ins, lazy imports, and plugin discovery through simulated distributions."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import mibench.estimators as estimators
from mibench.errors import DuplicateNameError, UnknownNameError
from mibench.estimators import (
    clear_registry_cache,
    estimator_source,
    get_estimator,
    get_estimator_class,
    list_estimators,
)
from mibench.estimators.registry import BUILTIN_ESTIMATORS, ENTRY_POINT_GROUP

PLUGIN_MODULE = """
from mibench.interface import BaseEstimator, EstimatorTags

class Constant(BaseEstimator):
    tags = EstimatorTags(min_samples=1)

    def __init__(self, *, value=0.5):
        self.value = value

    def estimate(self, x, y):
        return float(self.value)

class NoTags:
    def estimate(self, x, y):
        return 0.0
"""


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Every test starts and ends with an empty discovery cache and without the fake plugin modules."""
    clear_registry_cache()
    before = set(sys.modules)
    yield
    clear_registry_cache()
    for name in set(sys.modules) - before:
        if name.startswith(("fakeplugin", "devpkg")):
            del sys.modules[name]


def install_fake_distribution(
    root: Path, name: str, version: str, entry_points: dict[str, str], module: str | None = None
) -> None:
    """Write ``<name>-<version>.dist-info`` (METADATA, entry_points.txt) and optionally ``<name>_mod.py``."""
    dist_info = root / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{ep} = {target}" for ep, target in entry_points.items())]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    if module is not None:
        (root / f"{name}_mod.py").write_text(textwrap.dedent(module))


def test_builtins_are_listed() -> None:
    names = list_estimators()
    assert {"ksg", "gaussian"} <= set(names)
    assert names == sorted(names)
    assert set(BUILTIN_ESTIMATORS) <= set(names)
    for name in BUILTIN_ESTIMATORS:
        assert estimator_source(name) == "built-in"
        cls = get_estimator_class(name)
        assert cls.__module__ + ":" + cls.__name__ == BUILTIN_ESTIMATORS[name]


def test_get_estimator_stores_params_verbatim() -> None:
    ksg = get_estimator("ksg", k=5)
    assert type(ksg).__name__ == "KSG"
    assert ksg.k == 5 and ksg.get_params() == {"k": 5}
    assert get_estimator("ksg").k == 3
    assert get_estimator("ksg", k="five").k == "five"  # stored verbatim, validated on estimate
    assert get_estimator("gaussian").get_params() == {}
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200)
    assert np.isfinite(get_estimator("ksg", k=2).estimate(x, x + rng.standard_normal(200)))


def test_unknown_hyperparameter() -> None:
    with pytest.raises(ValueError, match=r"no hyperparameter\(s\) 'kk'.*valid hyperparameters: k"):
        get_estimator("ksg", kk=3)
    with pytest.raises(ValueError, match=r"valid hyperparameters: \(none\)"):
        get_estimator("gaussian", k=3)


def test_unknown_name_suggests_close_match() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean: ksg") as info:
        get_estimator("ksgg")
    assert "gaussian" in str(info.value)  # lists the available ones
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownNameError):
        estimator_source("nope")
    with pytest.raises(UnknownNameError):
        get_estimator_class("nope")


def test_import_is_lazy() -> None:
    code = textwrap.dedent(
        """
        import sys
        import mibench.estimators as e
        assert "mibench.estimators.ksg" not in sys.modules, "import mibench.estimators imported ksg"
        assert "mibench.estimators.gaussian" not in sys.modules
        assert "torch" not in sys.modules
        names = e.list_estimators()
        assert "ksg" in names
        assert "mibench.estimators.ksg" not in sys.modules, "list_estimators imported ksg"
        e.get_estimator("ksg")
        assert "mibench.estimators.ksg" in sys.modules
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_plugin_is_discovered_and_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_distribution(
        tmp_path, "fakeplugin", "1.0", {"constant": "fakeplugin_mod:Constant"}, module=PLUGIN_MODULE
    )
    assert "constant" not in list_estimators()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "constant" not in list_estimators()  # discovery is cached until the cache is cleared
    clear_registry_cache()
    assert "constant" in list_estimators()
    assert estimator_source("constant") == "plugin fakeplugin 1.0"
    assert get_estimator_class("constant").__name__ == "Constant"
    estimator = get_estimator("constant", value=0.25)
    assert estimator.get_params() == {"value": 0.25}
    assert estimator.estimate(np.zeros(3), np.zeros(3)) == 0.25
    with pytest.raises(ValueError, match="valid hyperparameters: value"):
        get_estimator("constant", k=1)
    assert "ksg" in list_estimators()  # built-ins still there


def test_broken_plugins_only_warn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_distribution(
        tmp_path, "fakeplugin", "1.0", {"constant": "fakeplugin_mod:Constant"}, module=PLUGIN_MODULE
    )
    install_fake_distribution(
        tmp_path,
        "fakepluginbroken",
        "0.3",
        {"broken": "fakepluginbroken_mod:Anything", "missing": "fakeplugin_nonexistent_mod:X"},
        module="raise RuntimeError('plugin exploded on import')\n",
    )
    install_fake_distribution(tmp_path, "fakepluginnotags", "2.0", {"notags": "fakeplugin_mod:NoTags"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(RuntimeWarning) as record:
        names = list_estimators()
    messages = [str(w.message) for w in record]
    assert any("'broken'" in m and "fakepluginbroken 0.3" in m and "plugin exploded on import" in m for m in messages)
    assert any("'missing'" in m and "fakepluginbroken 0.3" in m and "ModuleNotFoundError" in m for m in messages)
    assert any("'notags'" in m and "fakepluginnotags 2.0" in m and "EstimatorTags" in m for m in messages)
    assert {"broken", "missing", "notags"}.isdisjoint(names)
    assert {"constant", "ksg", "gaussian"} <= set(names)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cached: no second round of warnings
        assert get_estimator("constant").estimate(np.zeros(3), np.zeros(3)) == 0.5
        with pytest.raises(UnknownNameError):
            get_estimator("broken")


def test_plugin_shadowing_a_builtin_blocks_only_that_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mibench.estimators.registry import estimator_clashes

    install_fake_distribution(tmp_path, "fakeplugin", "1.0", {"ksg": "fakeplugin_mod:Constant"}, module=PLUGIN_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    names = list_estimators()
    assert "ksg" not in names and {"gaussian", "kde"} <= set(names)
    assert list(estimator_clashes()) == ["ksg"]
    for use in (get_estimator, get_estimator_class, estimator_source):
        with pytest.raises(DuplicateNameError, match=r"'ksg'.*built-in.*plugin fakeplugin 1\.0"):
            use("ksg")
    assert get_estimator("gaussian").estimate(np.arange(20.0), np.arange(20.0) ** 3) > 0
    assert "fakeplugin_mod" not in sys.modules  # the clash is found before anything is imported


def test_two_plugins_with_one_name_block_only_that_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_distribution(
        tmp_path,
        "fakeplugin",
        "1.0",
        {"same": "fakeplugin_mod:Constant", "constant": "fakeplugin_mod:Constant"},
        module=PLUGIN_MODULE,
    )
    install_fake_distribution(tmp_path, "fakeplugintwo", "2.5", {"same": "fakeplugin_mod:Constant"})
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "same" not in list_estimators() and "constant" in list_estimators()
    with pytest.raises(DuplicateNameError, match=r"'same'.*twice.*plugin fakeplugin(two)? .*plugin fakeplugin(two)? "):
        get_estimator("same")
    assert get_estimator("constant").estimate(np.zeros(3), np.zeros(3)) == 0.5
    with pytest.raises(UnknownNameError, match="constant"):  # an unknown name lists the usable ones
        get_estimator("nope")


def test_module_reexports() -> None:
    assert set(estimators.__all__) == {
        "clear_registry_cache",
        "estimator_source",
        "get_estimator",
        "get_estimator_class",
        "list_estimators",
    }


@pytest.mark.parametrize("name", [None, 3, b"ksg", ("ksg",)])
def test_a_name_that_is_not_a_string_is_an_unknown_name_listing_the_estimators(name) -> None:
    for function in (get_estimator, get_estimator_class, estimator_source):
        with pytest.raises(UnknownNameError, match=r"estimator names are strings, got .* Available estimators: "):
            function(name)


@pytest.mark.parametrize(
    "name",
    ["a b:c", ":Class", "module:", "os.path:join.x", "mod:Outer.Inner", "../evil:X", "pkg..mod:X", "1mod:X", "a:b:c"],
)
def test_a_name_with_a_colon_must_have_the_import_path_form(name: str, monkeypatch) -> None:
    imported: list[str] = []
    real_import = estimators.registry.importlib.import_module
    monkeypatch.setattr(estimators.registry.importlib, "import_module", lambda m: imported.append(m) or real_import(m))
    with pytest.raises(UnknownNameError, match=r"import path package\.module:Class") as raised:
        get_estimator(name)
    assert "Available estimators: " in str(raised.value)
    assert imported == []  # refused before anything is imported


class NotAnEstimator:
    """A class without estimate (for the import-path checks)."""

    tags = None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("os:getcwd", "not a class"),
        ("tests.estimators.test_registry:NotAnEstimator", "has no class attribute 'tags'"),
        ("mibench.interface:BaseEstimator", "implements neither estimate nor estimate_with_info"),
        ("mibench.estimators.registry:NoSuchClass", "AttributeError"),
        ("no_such_module_anywhere:X", "ModuleNotFoundError"),
    ],
)
def test_an_import_path_must_name_an_estimator_class(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=rf"cannot use estimator import path '{name}': .*{reason}"):
        get_estimator(name)


def test_a_module_failing_at_import_is_a_value_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "devpkg_boom.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "devpkg_syntax.py").write_text("def broken(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"'devpkg_boom:X': RuntimeError: boom at import"):
        get_estimator("devpkg_boom:X")
    with pytest.raises(ValueError, match=r"'devpkg_syntax:X': SyntaxError"):
        get_estimator("devpkg_syntax:X")


def test_an_abstract_estimator_class_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "devpkg_abstract.py").write_text(
        textwrap.dedent(
            """
            import abc
            from mibench.interface import BaseEstimator, EstimatorTags

            class Abstract(BaseEstimator, abc.ABC):
                tags = EstimatorTags()

                @abc.abstractmethod
                def estimate(self, x, y): ...
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"is an abstract class"):
        get_estimator("devpkg_abstract:Abstract")


def test_import_paths_of_estimator_classes_still_work() -> None:
    assert type(get_estimator("mibench.estimators.ksg:KSG", k=4)).__name__ == "KSG"
    assert estimator_source("tests.runner.faulty:Raises") == "import path"
