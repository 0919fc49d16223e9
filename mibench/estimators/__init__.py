"""MI estimators and their registry.

Importing this package is cheap: it imports only the registry, never an estimator module (nor torch). Use
:func:`get_estimator` to build an estimator by name; the classes live in one module per family
(``mibench.estimators.ksg``, ``mibench.estimators.gaussian``, ...).
"""

from mibench.estimators.registry import (
    clear_registry_cache,
    estimator_source,
    get_estimator,
    get_estimator_class,
    list_estimators,
)

__all__ = [
    "clear_registry_cache",
    "estimator_source",
    "get_estimator",
    "get_estimator_class",
    "list_estimators",
]
