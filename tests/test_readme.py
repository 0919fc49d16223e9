"""The README's two commands exist, and CI runs the test one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _command_after(marker: str) -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\n```bash\n(.+)\n```", text)
    assert match, f"README.md has no command after <!-- {marker} -->"
    return match.group(1)


def test_readme_states_the_two_fresh_machine_commands():
    main = _command_after("main-command")
    test = _command_after("test-command")
    for command in (main, test):
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e ")
    assert "mibench run quick" in main and "mibench report" in main
    assert "pytest" in test and "ruff check" in test


def test_ci_extracts_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text()
    awk = re.search(r"command=\$\(awk '(.+)' README.md\)", script).group(1)
    extracted = subprocess.run(["awk", awk, "README.md"], cwd=REPO, capture_output=True, text=True, check=True)
    assert extracted.stdout.strip() == _command_after("test-command")


def test_ci_installs_chromium_before_the_tests():
    """The report tests open the HTML report in headless Chromium and fail under CI=true without it."""
    script = (REPO / ".ci" / "run").read_text()
    install = script.index("apt-get install -y --no-install-recommends chromium")
    assert (
        script.index("if ! command -v chromium") < install < script.index('exec bash -c "set -euo pipefail; $command"')
    )
    assert "DEBIAN_FRONTEND=noninteractive" in script and "apt-get update" in script


def test_torch_is_pinned_to_the_local_cpu_wheel():
    lines = (REPO / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in lines


def test_the_python_api_snippet_runs_as_a_script(tmp_path):
    """The README's Python API block, saved as a script, runs (its worker processes re-import the script, so the
    snippet must guard its calls) and stores the smoke suite in its own store, here under a temporary folder."""
    import sqlite3
    import sys

    text = (REPO / "README.md").read_text()
    snippet = re.search(r"## Python API\n\n```python\n(.+?)```", text, flags=re.DOTALL).group(1)
    assert 'store="results.sqlite"' in snippet
    (tmp_path / "snippet.py").write_text(snippet)
    done = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT status, COUNT(*) FROM results GROUP BY status").fetchall() == [("ok", 24)]


def test_the_suite_file_example_defines_a_suite(tmp_path):
    from mibench.suite_files import load_suite_file

    text = (REPO / "README.md").read_text()
    example = re.search(r"\*\*Your own suite\*\*.*?```toml\n(.+?)```", text, flags=re.DOTALL).group(1)
    (tmp_path / "example.toml").write_text(example)
    suite = load_suite_file(tmp_path / "example.toml")
    assert suite.name == "my-gaussians" and [spec.name for spec in suite.estimators] == ["ksg", "kde"]
    assert len(suite.tasks) > 2 and suite.estimators[1].max_n == 1000
