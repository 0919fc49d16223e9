"""The estimator registry: built-in estimators plus third-party plugins, by name.

Built-ins are listed in :data:`BUILTIN_ESTIMATORS` as lazy ``"module:Class"`` strings, so importing
:mod:`mibench.estimators` imports no estimator module (and in particular never torch); a built-in's module is
imported only when its class is asked for.

Third-party estimators register through the entry-point group ``mibench.estimators`` (entry-point name ->
estimator class), e.g. in the plugin's ``pyproject.toml``::

    [project.entry-points."mibench.estimators"]
    my-estimator = "my_package.module:MyEstimator"

Discovery is lazy (nothing happens until a registry function is called) and cached per process
(:func:`clear_registry_cache` resets it, e.g. after installing a plugin at run time or in tests). Plugins are
loaded at discovery, so a plugin that cannot be imported, or whose object is not an estimator class, is
reported with a :class:`RuntimeWarning` naming the plugin, its distribution and the error, and left out -- a
broken plugin never breaks mibench. Two registrations of the same name (a plugin shadowing a built-in, or two
plugins) block that name, and only that name: using it raises :class:`~mibench.errors.DuplicateNameError` naming
both sources (silently picking one would make results depend on installation order), while every other estimator
works as usual. :func:`list_estimators` leaves a clashing name out; :func:`estimator_clashes` lists the clashes.

Unregistered classes by import path
-----------------------------------
Wherever an estimator name is asked for (the Python API, suites, ``mibench run --estimators``, ``mibench estimate -e``),
an estimator class that is not registered can be named by its import path ``package.module:Class`` (handy while
developing one). The form is strict, so that a name cannot be taken for something else: a module path of Python
identifiers separated by dots, one colon, and a class name that is one identifier (no attribute chains such as
``module:Outer.Inner``, no spaces, no file paths). :data:`IMPORT_PATH_PATTERN` is the rule. A name with a colon that
does not have this form is an unknown name. The module named is imported (as Python's ``import`` would: its top-level
code runs), and what it holds under the class name must be an estimator class: a class with an ``estimate(x, y)`` method
(or ``estimate_with_info``, not only :class:`~mibench.interface.BaseEstimator`'s defaults), not abstract, with ``tags``
of type :class:`~mibench.interface.EstimatorTags`. Anything else -- a module that fails to import, a missing attribute,
a function, a class that is not an estimator -- is one ``ValueError`` naming the import path and the reason.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
import warnings
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from mibench.errors import DuplicateNameError, UnknownNameError
from mibench.interface import BaseEstimator, EstimatorTags

__all__ = [
    "BUILTIN_ESTIMATORS",
    "ENTRY_POINT_GROUP",
    "IMPORT_PATH_PATTERN",
    "Registration",
    "clear_registry_cache",
    "estimator_clashes",
    "estimator_source",
    "get_estimator",
    "get_estimator_class",
    "list_estimators",
    "registration",
]

#: The entry-point group third-party packages use to register estimators (name -> class).
ENTRY_POINT_GROUP = "mibench.estimators"

#: Built-in estimators: name -> ``"module:Class"`` (imported only when the class is requested).
BUILTIN_ESTIMATORS: dict[str, str] = {
    "binning": "mibench.estimators.binning:Binning",
    "compressed": "mibench.estimators.compressed:Compressed",
    "dv": "mibench.estimators.neural.estimators:DV",
    "infonce": "mibench.estimators.neural.estimators:InfoNCE",
    "mine": "mibench.estimators.neural.estimators:MINE",
    "nwj": "mibench.estimators.neural.estimators:NWJ",
    "smile": "mibench.estimators.neural.estimators:SMILE",
    "gaussian": "mibench.estimators.gaussian:GaussianMI",
    "gaussian-convolution": "mibench.estimators.convolution:GaussianConvolution",
    "kde": "mibench.estimators.kde:KDE",
    "kde-lower": "mibench.estimators.kde:KolchinskyTraceyLower",
    "kde-upper": "mibench.estimators.kde:KolchinskyTraceyUpper",
    "kl": "mibench.estimators.kl:KLMutualInformation",
    "ksg": "mibench.estimators.ksg:KSG",
    "ksg2": "mibench.estimators.ksg:KSG2",
    "wkl": "mibench.estimators.kl:WeightedKL",
}

BUILTIN_SOURCE = "built-in"


@dataclass(frozen=True)
class Registration:
    """One registered name: where it comes from and how to get its class.

    ``target`` is the ``"module:Class"`` string of a built-in; ``cls`` the already-loaded class of a plugin;
    ``clash`` the error message of a name registered more than once (such a name cannot be used); ``version`` a
    plugin's distribution version.
    """

    name: str
    source: str
    target: str | None = None
    cls: type | None = None
    clash: str | None = None
    version: str | None = None


def _check_estimator_class(obj: Any, what: str) -> type:
    """Return ``obj`` if it looks like an estimator class, else raise ``TypeError`` saying what is missing."""
    if not isinstance(obj, type):
        raise TypeError(f"{what} is {obj!r}, not a class")
    tags = getattr(obj, "tags", None)
    if not isinstance(tags, EstimatorTags):
        raise TypeError(
            f"{what} ({obj.__module__}.{obj.__qualname__}) has no class attribute 'tags' of type "
            f"mibench.interface.EstimatorTags (got {type(tags).__name__})"
        )
    if not callable(getattr(obj, "estimate", None)):
        raise TypeError(f"{what} ({obj.__module__}.{obj.__qualname__}) has no estimate(x, y) method")
    if inspect.isabstract(obj):
        raise TypeError(f"{what} ({obj.__module__}.{obj.__qualname__}) is an abstract class")
    if obj.estimate is BaseEstimator.estimate and getattr(obj, "estimate_with_info", None) is (
        BaseEstimator.estimate_with_info
    ):
        raise TypeError(
            f"{what} ({obj.__module__}.{obj.__qualname__}) implements neither estimate nor estimate_with_info"
        )
    return obj


def _plugin_source(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "plugin <unknown distribution>"
    return f"plugin {dist.name} {dist.version}"


def _discover_plugins() -> list[tuple[EntryPoint, str]]:
    """Entry points of the group with their source strings, one per (name, target, distribution)."""
    seen: set[tuple[str, str, str]] = set()
    found: list[tuple[EntryPoint, str]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = _plugin_source(ep)
        key = (ep.name, ep.value, source)
        if key in seen:  # the same distribution visible twice on sys.path is not a conflict
            continue
        seen.add(key)
        found.append((ep, source))
    return found


@functools.cache
def _registry() -> dict[str, Registration]:
    """All registrations by name (built once per process; see :func:`clear_registry_cache`)."""
    registry: dict[str, Registration] = {
        name: Registration(name, BUILTIN_SOURCE, target=target) for name, target in BUILTIN_ESTIMATORS.items()
    }
    plugins = _discover_plugins()
    # Name clashes are found before anything is imported: a name claimed twice is blocked (its plugins are not
    # loaded), whatever the plugins contain; the other names are not affected.
    claims: dict[str, list[str]] = {
        name: [f"{BUILTIN_SOURCE} ({target})"] for name, target in BUILTIN_ESTIMATORS.items()
    }
    for ep, source in plugins:
        claims.setdefault(ep.name, []).append(f"{source} ({ep.value})")
    for name, sources in claims.items():
        if len(sources) > 1:
            times = "twice" if len(sources) == 2 else f"{len(sources)} times"
            registry[name] = Registration(
                name,
                "name clash",
                clash=f"estimator name {name!r} is registered {times}: by {' and by '.join(sources)}; "
                "uninstall one of them or rename its entry point",
            )
    plugins = [(ep, source) for ep, source in plugins if len(claims[ep.name]) == 1]
    for ep, source in plugins:
        what = f"estimator plugin {ep.name!r} ({ep.value}) from {source.removeprefix('plugin ')}"
        try:
            cls = _check_estimator_class(ep.load(), what)
        except Exception as exc:  # a broken plugin must never break mibench
            warnings.warn(
                f"{what} failed to load and is skipped: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        dist = getattr(ep, "dist", None)
        registry[ep.name] = Registration(ep.name, source, cls=cls, version=None if dist is None else dist.version)
    return registry


def clear_registry_cache() -> None:
    """Forget discovered plugins and computed estimator versions, so the next call rediscovers them (after
    installing a plugin; in tests)."""
    _registry.cache_clear()
    versions = sys.modules.get("mibench.estimators.versions")
    if versions is not None:
        versions.clear_version_cache()


IMPORT_PATH_SOURCE = "import path"

#: The form of an import path naming an unregistered estimator class: ``package.module:Class`` (see the module
#: docstring).
IMPORT_PATH_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*")


def registration(name: str) -> Registration:
    """How ``name`` is registered (an import path ``"package.module:Class"`` gets a registration of its own).

    Raises:
        UnknownNameError: no estimator has this name (the message lists the registered ones), a name with a colon
            that is not of the form ``package.module:Class``, or a name that is not a string.
        DuplicateNameError: the name is registered twice (the message names both sources).
    """
    if not isinstance(name, str):
        raise UnknownNameError("estimator", name, list_estimators())
    registry = _registry()
    if name in registry:
        entry = registry[name]
        if entry.clash is not None:
            raise DuplicateNameError(entry.clash)
        return entry
    if IMPORT_PATH_PATTERN.fullmatch(name):  # an unregistered class by import path, e.g. "my_package.module:Cls"
        return Registration(name, IMPORT_PATH_SOURCE, target=name)
    note = (
        "(An unregistered estimator class is named by an import path package.module:Class: dotted Python "
        "identifiers, one colon, a class name.)"
        if ":" in name
        else ""
    )
    raise UnknownNameError("estimator", name, list_estimators(), note=note)


def list_estimators() -> list[str]:
    """Names of all usable estimators (built-ins and successfully loaded plugins), sorted; a name registered twice
    is left out (see :func:`estimator_clashes`)."""
    return sorted(name for name, entry in _registry().items() if entry.clash is None)


def estimator_clashes() -> dict[str, str]:
    """Names registered more than once (a plugin shadowing a built-in, or two plugins), each with the error message
    that naming its sources; such a name raises :class:`~mibench.errors.DuplicateNameError` when used."""
    return {name: reg.clash for name, reg in sorted(_registry().items()) if reg.clash is not None}


def estimator_source(name: str) -> str:
    """Where an estimator comes from: ``"built-in"``, ``"plugin <distribution name> <version>"`` or
    ``"import path"``."""
    return registration(name).source


def get_estimator_class(name: str) -> type:
    """The estimator class registered under ``name`` (imports a built-in's module on first use).

    ``name`` may also be an import path ``"package.module:Class"`` of an estimator class that is not
    registered (handy while developing one; suites and jobs can name it the same way, and worker processes
    import it themselves).

    Raises:
        UnknownNameError: no estimator has this name (the message lists close matches and all names).
        DuplicateNameError: the name is registered twice (the message names both sources).
        ValueError: an import path that cannot be imported or does not name an estimator class.
        TypeError: a built-in entry does not point at a valid estimator class (a bug in mibench).
    """
    entry = registration(name)
    if entry.cls is not None:
        return entry.cls
    assert entry.target is not None
    module_name, _, class_name = entry.target.partition(":")
    if entry.source == IMPORT_PATH_SOURCE:
        try:  # any failure of the module's own code too (it is the user's module, not mibench's)
            cls = getattr(importlib.import_module(module_name), class_name)
            return _check_estimator_class(cls, f"estimator {name!r}")
        except Exception as exc:
            raise ValueError(f"cannot use estimator import path {name!r}: {type(exc).__name__}: {exc}") from exc
    cls = getattr(importlib.import_module(module_name), class_name)
    return _check_estimator_class(cls, f"built-in estimator {name!r} ({entry.target})")


def get_estimator(name: str, **params: Any) -> Any:
    """An instance of the estimator ``name`` with the given keyword hyperparameters.

    Hyperparameters are stored verbatim by the estimator (validated when it estimates), so they can be read
    back with ``get_params``.

    Raises:
        UnknownNameError: no estimator has this name.
        ValueError: a hyperparameter the estimator does not take (the message lists the valid ones).
    """
    cls = get_estimator_class(name)
    signature = inspect.signature(cls)
    parameters = signature.parameters
    takes_var_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    valid = [
        p.name
        for p in parameters.values()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    unknown = sorted(set(params) - set(valid))
    if unknown and not takes_var_kwargs:
        raise ValueError(
            f"estimator {name!r} has no hyperparameter(s) {', '.join(map(repr, unknown))}; "
            f"valid hyperparameters: {', '.join(valid) if valid else '(none)'}"
        )
    return cls(**params)
