"""The tests need the package importable: install it first (``pip install -e examples/plugin``)."""

import importlib.util

import pytest

if importlib.util.find_spec("mibench_example_plugin") is None:
    raise pytest.UsageError(
        "mibench_example_plugin is not importable: install it first with `pip install -e examples/plugin` "
        "(from mibench's repository root), then run `python -m pytest examples/plugin/tests`"
    )
