"""pytest-benchmark suites: speed and memory are measured here, never asserted by wall-clock tests.

Run: ``.venv/bin/python -m pytest benchmarks`` (add ``--benchmark-json out.json`` to keep the numbers).
Accuracy of each benchmarked call travels in ``benchmark.extra_info`` beside its timing. ``test_accuracy.py`` is
the general one: every estimator (by name, plugins included) on every task and size of a suite, through the
``mi_benchmark`` fixture of mibench's pytest plugin (options ``--mibench-*``, see ``pytest --help``); the other
modules time particular estimators at large sizes.
"""
