"""The example third-party package in examples/plugin, made discoverable without installing it: mibench lists it,
runs it, compares it with KSG, and the package's own tests pass.

Installing it into a fresh environment would take minutes, so the test builds what ``pip install`` would leave
behind: a directory on ``PYTHONPATH`` holding a copy of the package and a ``<name>-<version>.dist-info`` folder
(``METADATA`` and ``entry_points.txt``, read from the package's ``pyproject.toml``), which is all that
``importlib.metadata`` and so mibench's registry look at. Every command runs in a subprocess with that
``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "examples" / "plugin"
MIBENCH = [sys.executable, "-c", "from mibench.cli import main; main()"]
NAME = "copula-gaussian"


def _project() -> dict:
    with (PLUGIN / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a Python that sees the example package as installed."""
    project = _project()
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(
        PLUGIN / "src" / "mibench_example_plugin",
        site / "mibench_example_plugin",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    entry_points = project["entry-points"]["mibench.estimators"]
    lines = ["[mibench.estimators]", *(f"{name} = {target}" for name, target in entry_points.items())]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def _run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, **kwargs)


def test_the_package_declares_what_the_test_relies_on() -> None:
    project = _project()
    assert project["name"] == "mibench-example-plugin" and project["version"] == "0.1.0"
    assert project["entry-points"]["mibench.estimators"] == {NAME: "mibench_example_plugin.copula:GaussianCopulaMI"}


def test_mibench_lists_the_plugin(plugin_env) -> None:
    listed = _run([*MIBENCH, "list", "estimators"], plugin_env)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[2:] if line.strip()}
    assert "mibench_example_plugin.copula.GaussianCopulaMI" in rows[NAME]
    assert "plugin mibench-example-plugin 0.1.0" in rows[NAME]
    assert "built-in" in rows["ksg"]


def test_run_smoke_with_the_plugin_then_compare_with_ksg(plugin_env, tmp_path) -> None:
    """The plugin's 12 smoke jobs run ok beside KSG's; against KSG it is not worse on these Gaussian tasks (it is
    the Gaussian model's rank-based estimator there, KSG a nonparametric one), so compare exits 0 and lists it."""
    store = tmp_path / "results.sqlite"
    options = ["--estimators", f"{NAME},ksg", "--store", str(store), "--jobs", "1", "--no-progress"]
    ran = _run([*MIBENCH, "run", "smoke", *options], plugin_env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "24 run now (24 ok, 0 error, 0 timeout, 0 memory)" in ran.stdout

    from mibench.runner import load_results

    rows = load_results(store)
    plugin_rows = rows[rows["estimator"] == NAME]
    assert len(plugin_rows) == 12 and set(plugin_rows["status"]) == {"ok"}

    compared = _run([*MIBENCH, "compare", str(store), "--versus", "ksg"], plugin_env)
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert "nothing worse than ksg (4 cells compared" in compared.stdout
    plugin_lines = [line for line in compared.stdout.splitlines() if f"`{NAME}`" in line]
    assert len(plugin_lines) == 1 + 4  # the pooled row and its four cells (2 tasks x 2 sample sizes)
    assert all(line.rstrip().endswith("| ok |") for line in plugin_lines)

    # its jobs carry its distribution's version, and the smoke suite's report keeps its rows
    assert set(plugin_rows["estimator_version"]) == {"0.1.0"} and all("@0.1.0|" in key for key in plugin_rows["key"])
    out = tmp_path / "report"
    reported = _run([*MIBENCH, "report", "--store", str(store), "--suite", "smoke", "-o", str(out)], plugin_env)
    assert reported.returncode == 0, reported.stdout + reported.stderr
    assert f"`{NAME}`" in (out / "report.md").read_text() and NAME in (out / "scores.csv").read_text()


def _pytest(tmp_path: Path) -> list[str]:
    """pytest in a subprocess, leaving nothing in the checkout (no cache, pytest-benchmark's storage in tmp)."""
    storage = f"--benchmark-storage=file://{tmp_path / 'benchmarks'}"
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", storage, "tests"]


def test_the_plugins_own_tests_pass(plugin_env, tmp_path) -> None:
    """Its conformance, accuracy (assert_mi_close, the mibench_task fixture) and registration tests, run from its
    own directory (its pyproject.toml is their rootdir and configuration)."""
    done = _run(_pytest(tmp_path), plugin_env, cwd=PLUGIN)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout and "error" not in done.stdout.lower()


@pytest.mark.skipif(
    importlib.util.find_spec("mibench_example_plugin") is not None, reason="the example plugin is installed here"
)
def test_its_tests_without_the_package_say_how_to_install_it(tmp_path) -> None:
    """mibench's own test run never collects them (testpaths = tests); run by hand without the package installed,
    they stop with one usage error that says what to do."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = _run(_pytest(tmp_path), env, cwd=PLUGIN)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "pip install -e examples/plugin" in done.stdout + done.stderr
