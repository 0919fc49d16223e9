"""mibench-example-plugin: a third-party estimator package for mibench.

It registers one estimator, ``copula-gaussian`` (:class:`~mibench_example_plugin.copula.GaussianCopulaMI`), through
the ``mibench.estimators`` entry-point group in its ``pyproject.toml``; installing the package is all it takes for
``mibench list estimators`` and ``mibench run ... --estimators copula-gaussian`` to see it.
"""

from mibench_example_plugin.copula import GaussianCopulaMI, normal_scores

__all__ = ["GaussianCopulaMI", "__version__", "normal_scores"]

__version__ = "0.1.0"
