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


def test_torch_is_pinned_to_the_local_cpu_wheel():
    lines = (REPO / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in lines
