"""The version of an estimator: part of every job key, so a changed estimator is recomputed.

Which version an estimator has, in order of precedence:

1. ``version`` -- a non-empty string the estimator class declares (``version = "2"``); its author bumps it when
   results change.
2. A plugin's distribution version (``"0.3.1"`` of ``my-estimators``), from its entry point.
3. A class named by import path (``package.module:Class``) that belongs to an installed distribution other than
   mibench: that distribution's version.
4. Otherwise -- every built-in, and a class of a module under development that no distribution owns -- a hash of
   its source: ``"src-"`` and the first 12 hex digits of the SHA-256 of the source files of the class's module and
   of every module it imports from the same package (transitively, imports inside functions included; for a
   built-in the package is :mod:`mibench.estimators`). Editing a built-in, or a private helper it uses such as the
   neighbour search, changes its version, so its stored results are recomputed instead of silently reused;
   editing an unrelated estimator, or a comment in mibench outside the estimators, does not.

Versions are computed in the coordinating process when jobs are built and cached per process
(:func:`clear_version_cache`).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from importlib import metadata
from pathlib import Path

from mibench.estimators.registry import BUILTIN_ESTIMATORS, BUILTIN_SOURCE, IMPORT_PATH_SOURCE, registration

__all__ = ["SOURCE_PREFIX", "clear_version_cache", "estimator_version", "source_digest"]

#: Prefix of a version computed from source (rule 4 of the module docstring).
SOURCE_PREFIX = "src-"
_DIGEST_CHARS = 12
#: The package whose modules count towards a built-in's source digest.
BUILTIN_PACKAGE = "mibench.estimators"


@functools.cache
def estimator_version(name: str) -> str:
    """The version of the estimator registered as ``name`` (or named by import path); see the module docstring.

    Raises:
        UnknownNameError, DuplicateNameError, ValueError: as :func:`mibench.estimators.get_estimator_class`.
    """
    entry = registration(name)
    if entry.source == BUILTIN_SOURCE and entry.cls is None:
        # A built-in's module is hashed, not imported: building the jobs of a suite never imports torch.
        module = BUILTIN_ESTIMATORS[name].partition(":")[0]
        return SOURCE_PREFIX + source_digest(module, BUILTIN_PACKAGE)
    from mibench.estimators.registry import get_estimator_class

    cls = get_estimator_class(name)
    declared = getattr(cls, "version", None)
    if isinstance(declared, str) and declared.strip():
        return declared.strip()
    if entry.version is not None:
        return entry.version
    module = cls.__module__
    top = module.partition(".")[0]
    if entry.source == IMPORT_PATH_SOURCE and top != "mibench":
        owners = metadata.packages_distributions().get(top, [])
        if owners:
            return metadata.version(owners[0])
    package = BUILTIN_PACKAGE if module.startswith(BUILTIN_PACKAGE + ".") else module.rpartition(".")[0] or module
    return SOURCE_PREFIX + source_digest(module, package)


def clear_version_cache() -> None:
    """Forget computed versions (after editing an estimator in a running process; in tests)."""
    estimator_version.cache_clear()


def source_digest(module: str, package: str) -> str:
    """The first 12 hex digits of the SHA-256 of the sources of ``module`` and of the modules of ``package`` it
    imports, transitively, each file's path relative to the package root hashed beside its bytes (so moving code
    between modules counts as a change).

    Raises:
        ValueError: ``module`` has no Python source file.
    """
    files = _source_closure(module, package)
    if not files:
        raise ValueError(f"cannot compute a source version for {module!r}: no Python source file found")
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:_DIGEST_CHARS]


def _source_file(module: str) -> Path | None:
    """The source file of ``module``, found without importing it (only its parent packages are imported)."""
    parent = module.rpartition(".")[0]
    try:
        if parent:
            # ``from a.b import name`` names a.b.name, which is a module only if a.b is a package; asking for it
            # when a.b is a plain module would import a.b (and whatever it imports, such as torch).
            parent_spec = importlib.util.find_spec(parent)
            if parent_spec is None or parent_spec.submodule_search_locations is None:
                return None
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _source_closure(module: str, package: str) -> dict[str, Path]:
    """Module name -> source file of ``module`` and of every module inside ``package`` reachable by imports."""
    found: dict[str, Path] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        # The package's own __init__ only re-exports: ``from package import submodule`` names it, but its source
        # does not change what the submodule computes.
        if name in found or (name == package and name != module):
            continue
        path = _source_file(name)
        if path is None:
            continue
        found[name] = path
        is_package = path.name == "__init__.py"
        for imported in _imported_modules(path, name, is_package):
            if (imported == package or imported.startswith(package + ".")) and imported not in found:
                pending.append(imported)
    return found


def _imported_modules(path: Path, module: str, is_package: bool) -> list[str]:
    """Absolute names of the modules that the source at ``path`` imports (``from a import b`` yields ``a`` and
    ``a.b``, since ``b`` may be a submodule)."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    base_parts = module.split(".") if is_package else module.split(".")[:-1]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base_parts[: len(base_parts) - node.level + 1]
                origin = ".".join([*parent, node.module] if node.module else parent)
            else:
                origin = node.module or ""
            if origin:
                names.append(origin)
                names.extend(f"{origin}.{alias.name}" for alias in node.names if alias.name != "*")
    return names
