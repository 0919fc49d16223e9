"""The CI recipe of examples/github-actions.yml, run locally: the same mibench steps on the `smoke` suite against the
committed smoke baseline (the quick suite would take minutes), and a regression it must catch."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / "examples" / "github-actions.yml"
MIBENCH = [sys.executable, "-c", "from mibench.cli import main; main()"]


def _mibench_steps() -> list[list[str]]:
    """The workflow's `mibench` commands, with `quick` replaced by `smoke` and the summary redirection removed."""
    steps = []
    for line in WORKFLOW.read_text().splitlines():
        line = line.strip()
        if not line.startswith("run: .venv/bin/mibench "):
            continue
        command = line.removeprefix("run: ").split(">>")[0]
        words = [word.replace("quick", "smoke") for word in shlex.split(command)]
        steps.append(MIBENCH + words[1:])
    return steps


def test_the_workflow_runs_the_suite_then_compares_with_the_baseline() -> None:
    steps = _mibench_steps()
    assert [step[3:5] for step in steps] == [["run", "smoke"], ["compare", "reports/baselines/smoke.csv"]]
    assert (REPO / "reports" / "baselines" / "quick.csv").is_file()


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The workflow's steps, run in a temporary copy of the checkout's baselines."""
    folder = tmp_path_factory.mktemp("workflow")
    (folder / "reports" / "baselines").mkdir(parents=True)
    baseline = (REPO / "reports" / "baselines" / "smoke.csv").read_text()
    (folder / "reports" / "baselines" / "smoke.csv").write_text(baseline)
    run_step, compare_step = _mibench_steps()
    done = subprocess.run(run_step, cwd=folder, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    compared = subprocess.run(compare_step, cwd=folder, capture_output=True, text=True, timeout=300)
    return folder, compared


def test_an_unchanged_install_passes_against_the_baseline(ran) -> None:
    folder, compared = ran
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert compared.stdout.startswith("**✅ mibench compare: no regressions")
    assert (folder / "compare.json").is_file()
    assert len(compared.stdout.encode()) < 1024 * 1024  # fits a GitHub job summary


def test_a_worse_estimator_fails_the_job(ran) -> None:
    """Today's results with the Gaussian baseline 0.5 nats further from the truth (more than the practical margin
    on every smoke task) must fail the comparison step: exit 1, the estimator named in the summary."""
    folder, _ = ran
    current = pd.read_csv(folder / "reports" / "baselines" / "smoke.csv")
    gaussian = current["estimator"] == "gaussian"
    current.loc[gaussian, "estimate"] = current.loc[gaussian, "estimate"] + 0.5
    current.to_csv(folder / "worse.csv", index=False)
    _, compare_step = _mibench_steps()
    step = [word if word != "smoke.sqlite" else "worse.csv" for word in compare_step]
    compared = subprocess.run(step, cwd=folder, capture_output=True, text=True, timeout=300)
    assert compared.returncode == 1, compared.stdout + compared.stderr
    assert compared.stdout.startswith("**❌ mibench compare:") and "`gaussian`" in compared.stdout
