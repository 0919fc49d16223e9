"""The networks package imports without torch and re-exports its public names lazily."""

from __future__ import annotations

import subprocess
import sys

import mibench.networks


def test_importing_the_networks_modules_does_not_import_torch():
    code = (
        "import sys\n"
        "import mibench.networks\n"
        "import mibench.networks.datasets, mibench.networks.quantization, mibench.networks.model\n"
        "import mibench.networks.training, mibench.networks.exact, mibench.networks.tasks\n"
        "import mibench.networks.ids, mibench.networks.noisy, mibench.networks.clustering, mibench.networks.suite\n"
        "from mibench.networks import twelve_bit, train, network_task, NetworkSpec\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_lazy_exports_resolve():
    for name in mibench.networks.__all__:
        assert getattr(mibench.networks, name) is not None
    assert "twelve_bit" in dir(mibench.networks)
    try:
        getattr(mibench.networks, "nonexistent")  # noqa: B009
    except AttributeError as exc:
        assert "nonexistent" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
