"""pytest-benchmark suites: speed and memory are measured here, never asserted by wall-clock tests.

Run: ``.venv/bin/python -m pytest benchmarks`` (add ``--benchmark-json out.json`` to keep the numbers).
Accuracy of each benchmarked call travels in ``benchmark.extra_info`` beside its timing.
"""
