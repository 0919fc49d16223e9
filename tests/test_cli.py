"""The ``mibench`` command: list, run, report, export and estimate, and user errors as one ``error:`` line with
exit status 2 and no traceback."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import mibench
from mibench._version import __version__
from mibench.cli import main
from mibench.estimators import get_estimator
from mibench.suites import get_suite

LN2 = math.log(2.0)
RHO = 0.75
TRUE_MI = -0.5 * math.log(1 - RHO**2)  # 0.413339 nats: gaussian-pairs-1x1-rho0.75
N = 3000
# Tolerance for the Gaussian (CCA) estimator on one pair: it is -1/2 log(1 - r^2) of the sample correlation r.
# Asymptotically SD(r) = (1 - rho^2) / sqrt(n) and dI/drho = rho / (1 - rho^2), so by the delta method
# SD(I_hat) = rho / sqrt(n) = 0.0137 at n = 3000; its bias is O(1/n) (~3e-4), negligible. 5 SD = 0.068 nats is
# conservative (and the sample is seeded, so the check is deterministic anyway).
GAUSSIAN_TOL = 5 * math.sqrt(RHO**2) / math.sqrt(N)
RESULT_LINE = re.compile(r"^I\(X;Y\) = (-?[\d.]+) nats = (-?[\d.]+) bits$", re.MULTILINE)


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.output, result.exception)


def assert_user_error(result: Result, *fragments: str) -> str:
    """Exit status 2, exactly one ``error: ...`` line on stderr, no traceback; returns that line."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # not an uncaught exception that CliRunner swallowed
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------------------------
# basics
# ---------------------------------------------------------------------------------------------------------------


def test_version_and_help():
    result = invoke("--version")
    assert_ok(result)
    assert result.stdout.strip() == f"mibench, version {__version__}"
    result = invoke("-h")
    assert_ok(result)
    for command in ("list", "run", "report", "export", "estimate"):
        assert command in result.stdout


def _script() -> list[str]:
    installed = Path(sys.executable).with_name("mibench")
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "mibench.cli"]


def test_real_process_exit_status_and_streams(tmp_path):
    version = subprocess.run([*_script(), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"mibench, version {__version__}"
    bad = subprocess.run(
        [*_script(), "estimate", str(tmp_path / "missing.csv"), "--estimator", "ksg"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [f"error: no such file: {tmp_path / 'missing.csv'}"]
    module = subprocess.run(
        [sys.executable, "-m", "mibench.cli", "list", "suites"], capture_output=True, text=True, timeout=60
    )
    assert module.returncode == 0 and "smoke" in module.stdout


def test_list_does_not_import_torch():
    code = (
        "import sys; from click.testing import CliRunner; from mibench.cli import main; "
        "a = CliRunner().invoke(main, ['list','tasks']); b = CliRunner().invoke(main, ['list','estimators']); "
        "assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output); print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------------------------------------------


def _table_ids(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and line) + 1
    return [
        line.split()[0]
        for line in lines[start:]
        if line.strip() and not line.endswith("work too.") and "task(s)" not in line
    ]


def test_list_tasks_table():
    result = invoke("list", "tasks")
    assert_ok(result)
    header = result.stdout.splitlines()[0].split("  ")
    assert [h.strip() for h in header if h.strip()] == ["id", "family", "dims", "MI (nats)", "MI (bits)", "truth"]
    row = next(line for line in result.stdout.splitlines() if line.startswith("gaussian-pairs-1x1-rho0.75 "))
    assert "0.413339" in row and "0.596323" in row and "closed form" in row and "1x1" in row
    ids = _table_ids(result.stdout)
    assert re.search(rf"^{len(ids)} task\(s\)\.", result.stdout, re.MULTILINE)
    assert "gaussian-pairs-2x2-mi1" in ids


def test_list_tasks_json_and_filters():
    result = invoke("list", "tasks", "--json")
    assert_ok(result)
    everything = json.loads(result.stdout)
    by_id = {t["id"]: t for t in everything}
    rho = by_id["gaussian-pairs-1x1-rho0.75"]
    assert rho["mi"] == pytest.approx(TRUE_MI) and rho["mi_bits"] == pytest.approx(TRUE_MI / LN2)
    assert (rho["family"], rho["dim_x"], rho["dim_y"]) == ("gaussian-pairs", 1, 1)

    def listed(*options: str) -> list[dict]:
        out = invoke("list", "tasks", "--json", *options)
        assert_ok(out)
        return json.loads(out.stdout)

    small = listed("--max-dim", "2")
    assert small and all(t["dim_x"] + t["dim_y"] <= 2 for t in small)
    assert {t["id"] for t in small} == {t["id"] for t in everything if t["dim_x"] + t["dim_y"] <= 2}
    band = listed("--min-mi", "0.5", "--max-mi", "1")
    assert band and all(0.5 <= t["mi"] <= 1 for t in band)
    assert {t["id"] for t in band} == {t["id"] for t in everything if 0.5 <= t["mi"] <= 1}
    family = listed("--family", "gaussian-pairs")
    assert family and all(t["family"] == "gaussian-pairs" for t in family)
    both = listed("--family", "gaussian-pairs", "--max-dim", "2", "--min-mi", "0.5", "--max-mi", "1")
    assert {t["id"] for t in both} == {t["id"] for t in small} & {t["id"] for t in band} & {t["id"] for t in family}
    assert "gaussian-pairs-1x1-mi1" in {t["id"] for t in both}
    assert {t["id"] for t in listed("--dim-x", "5", "--dim-y", "5")} >= {"gaussian-pairs-5x5-mi1"}
    assert [t["id"] for t in listed("--pattern", "gaussian-pairs-1x1-rho*")] == ["gaussian-pairs-1x1-rho0.75"]
    assert_user_error(invoke("list", "tasks", "--family", "gaussian-pair"), "unknown task family", "gaussian-pairs")


def test_list_tasks_table_filters():
    result = invoke("list", "tasks", "--max-dim", "2", "--max-mi", "0.6")
    assert_ok(result)
    ids = _table_ids(result.stdout)
    assert "gaussian-pairs-1x1-rho0.75" in ids and "gaussian-pairs-2x2-mi1" not in ids
    assert f"{len(ids)} task(s)." in result.stdout


def test_list_estimators():
    result = invoke("list", "estimators")
    assert_ok(result)
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:] if line.strip()}
    assert {"ksg", "gaussian"} <= set(rows)
    assert "built-in" in rows["ksg"] and "built-in" in rows["gaussian"]
    assert "mibench.estimators.ksg.KSG" in rows["ksg"]
    assert result.stdout.splitlines()[0].split()[:3] == ["name", "class", "source"]


def _with_clashing_plugin(tmp_path: Path, name: str) -> dict[str, str]:
    """An environment whose Python sees a fake plugin distribution registering ``name`` (a built-in's name)."""
    import os

    from tests.estimators.test_registry import PLUGIN_MODULE, install_fake_distribution

    install_fake_distribution(
        tmp_path / "site", "fakeplugin", "1.0", {name: "fakeplugin_mod:Constant"}, module=PLUGIN_MODULE
    )
    path = os.pathsep.join(filter(None, [str(tmp_path / "site"), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def test_a_name_clash_blocks_only_that_name(tmp_path):
    env = _with_clashing_plugin(tmp_path, "ksg")
    listed = subprocess.run([*_script(), "list", "estimators"], capture_output=True, text=True, timeout=120, env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[2:] if line.strip()}
    assert "name clash" in rows["ksg"] and "built-in" in rows["gaussian"]
    assert listed.stderr.strip().splitlines() == [
        "warning: estimator name 'ksg' is registered twice: by built-in (mibench.estimators.ksg:KSG) and by "
        "plugin fakeplugin 1.0 (fakeplugin_mod:Constant); uninstall one of them or rename its entry point"
    ]
    store = tmp_path / "s.sqlite"
    args = ["run", "smoke", "--store", str(store), "--no-progress", "--jobs", "2"]
    ran = subprocess.run(
        [*_script(), *args, "--estimators", "gaussian"], capture_output=True, text=True, timeout=300, env=env
    )
    assert ran.returncode == 0, ran.stderr
    assert "12 run now (12 ok, 0 error" in ran.stdout
    for extra in (["--estimators", "ksg"], []):  # the clashing name is used: one error line, nothing runs
        clash = subprocess.run([*_script(), *args, *extra], capture_output=True, text=True, timeout=120, env=env)
        assert clash.returncode == 2
        lines = clash.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: estimator name 'ksg' is registered twice")
        assert "plugin fakeplugin 1.0" in lines[0] and "built-in" in lines[0]
    frame = mibench.run("smoke", store=store, estimators=["gaussian"], executor="inline")
    assert len(frame) == 12 and set(frame["status"]) == {"ok"}


def test_list_suites():
    result = invoke("list", "suites")
    assert_ok(result)
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:] if line.strip()}
    assert rows["smoke"][1] == "24" and rows["smoke"][2] == "2"
    assert rows["quick"][1] == str(get_suite("quick").n_jobs)
    assert "ksg,gaussian" in rows["smoke"]


# ---------------------------------------------------------------------------------------------------------------
# run / report / export
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    """The smoke suite run once through the CLI (worker processes), shared read-only by the tests below."""
    store = tmp_path_factory.mktemp("smoke") / "results.sqlite"
    result = invoke("run", "smoke", "--store", store, "--no-progress", "--jobs", "2")
    return store, result


def test_run_smoke_then_again_computes_nothing(smoke_store):
    store, first = smoke_store
    assert_ok(first)
    lines = first.stdout.splitlines()
    assert lines[0] == f"results store: {store}"
    assert "suite smoke: 24 jobs, 0 already stored, 24 run now (24 ok, 0 error, 0 timeout, 0 memory)" in lines
    assert lines[-1] == f"next: mibench report --store {store}"
    assert first.stderr == ""
    second = invoke("run", "smoke", "--store", store, "--no-progress", "--inline")
    assert_ok(second)
    assert "suite smoke: 24 jobs, 24 already stored, 0 run now (0 ok, 0 error, 0 timeout, 0 memory)" in second.stdout


def test_run_selected_estimators_and_tasks(tmp_path):
    store = tmp_path / "s.sqlite"
    result = invoke(
        "run",
        "smoke",
        "--store",
        store,
        "--no-progress",
        "--inline",
        "--estimators",
        "gaussian",
        "--tasks",
        "gaussian-pairs-2x2-*",
    )
    assert_ok(result)
    assert "suite smoke: 6 jobs, 0 already stored, 6 run now (6 ok, 0 error, 0 timeout, 0 memory)" in result.stdout
    out = tmp_path / "rows.csv"
    assert_ok(invoke("export", "--store", store, "-o", out))
    frame = pd.read_csv(out)
    assert set(frame["estimator"]) == {"gaussian"} and set(frame["task_id"]) == {"gaussian-pairs-2x2-mi1"}
    # the rest of the suite later: only the missing jobs run
    more = invoke("run", "smoke", "--store", store, "--no-progress", "--inline", "--estimators", "gaussian")
    assert_ok(more)
    assert "suite smoke: 12 jobs, 6 already stored, 6 run now (6 ok" in more.stdout


def test_run_adds_an_estimator_the_suite_lacks_with_its_parameters(tmp_path):
    store = tmp_path / "s.sqlite"
    toy = "tests.runner.toys:IgnoresContext"
    args = ("run", "smoke", "--store", store, "--no-progress", "--inline", "--tasks", "gaussian-pairs-1x1-*")
    result = invoke(*args, "--estimators", f"ksg2,{toy}", "-p", "ksg2:k=5", "-p", f"{toy}:flag=a:b")
    assert_ok(result)
    assert "suite smoke: 12 jobs, 0 already stored, 12 run now (12 ok" in result.stdout
    out = tmp_path / "rows.csv"
    assert_ok(invoke("export", "--store", store, "-o", out))
    frame = pd.read_csv(out)
    assert sorted(frame["estimator"].unique()) == ["ksg2", toy]
    assert {json.loads(p)["k"] for p in frame[frame["estimator"] == "ksg2"]["params"]} == {5}
    assert {json.loads(p)["flag"] for p in frame[frame["estimator"] == toy]["params"]} == {"a:b"}
    # a suite estimator with a parameter keeps the suite's grid
    tuned = invoke(*args, "--estimators", "ksg", "-p", "ksg:k=4")
    assert_ok(tuned)
    assert "suite smoke: 6 jobs, 0 already stored, 6 run now (6 ok" in tuned.stdout


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (("--estimators", "nope"), ("unknown estimator 'nope'", "binning", "wkl")),
        (("--estimators", "ksg", "-p", "gaussian:k=5"), ("'gaussian'", "not selected")),
        (("-p", "k=5"), ("NAME:PARAM=VALUE",)),
        (("--estimators", "ksg", "-p", "ksg:nope=5"), ("valid hyperparameters",)),
    ],
)
def test_run_estimator_and_parameter_mistakes(tmp_path, extra, fragments):
    result = invoke("run", "smoke", "--store", tmp_path / "s.sqlite", "--no-progress", "--inline", *extra)
    assert_user_error(result, *fragments)


def test_fail_on_error_exits_1_when_the_selected_suite_has_failed_jobs(tmp_path):
    store = tmp_path / "s.sqlite"
    args = ("run", "smoke", "--store", store, "--no-progress", "--inline", "--tasks", "gaussian-pairs-1x1-*")
    raises = ("--estimators", "gaussian,tests.runner.faulty:Raises")
    plain = invoke(*args, *raises)
    assert_ok(plain)  # without the flag failures are results, not a failed command
    assert "12 run now (6 ok, 6 error" in plain.stdout
    again = invoke(*args, *raises, "--fail-on-error")  # nothing runs now; the stored failures count
    assert again.exit_code == 1, again.output
    assert "0 run now" in again.stdout
    assert "--fail-on-error: 6 failed job(s) in suite smoke (6 error, 0 timeout, 0 memory)" in again.stderr
    assert "Traceback" not in again.output
    clean = invoke(*args, "--estimators", "gaussian", "--fail-on-error")  # the selection has no failures
    assert_ok(clean)
    help_text = invoke("run", "--help").stdout
    assert "--fail-on-error" in help_text and "as stored after the run" in " ".join(help_text.split())


def test_report_writes_markdown_figure_and_scores(smoke_store, tmp_path):
    store, _ = smoke_store
    out = tmp_path / "rep"
    result = invoke("report", "--store", store, "-o", out)
    assert_ok(result)
    assert result.stdout.strip() == f"report: {out / 'report.md'}"
    assert {p.name for p in out.iterdir()} >= {"report.md", "index.html", "scores.csv", "estimate_vs_truth.png"}
    assert list(out.glob("*.png"))
    text = (out / "report.md").read_text()
    assert "MI values in nats" in text and "median abs error (nats)" in text and "(bits)" not in text
    assert ".png" in text
    page = (out / "index.html").read_text()
    assert '<section id="summary">' in page and "true MI (nats)" in page and "<code>ksg</code>" in page
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 8  # 2 tasks x 2 estimators x 2 sample sizes
    assert set(scores["estimator"]) == {"ksg", "gaussian"}


def test_report_in_bits(smoke_store, tmp_path):
    store, _ = smoke_store
    out = tmp_path / "bits"
    result = invoke("report", "--store", store, "-o", out, "--bits", "--suite", "smoke")
    assert_ok(result)
    text = (out / "report.md").read_text()
    assert "MI values in bits" in text and "median abs error (bits)" in text
    assert "(nats)" not in text
    assert "mibench report: smoke" in text
    page = (out / "index.html").read_text()
    assert "true MI (bits)" in page and "mean (bits)" in page and "true MI (nats)" not in page


def test_export_csv_and_json(smoke_store, tmp_path):
    store, _ = smoke_store
    csv_path, json_path = tmp_path / "x.csv", tmp_path / "x.JSON"
    result = invoke("export", "--store", store, "-o", csv_path)
    assert_ok(result)
    assert result.stdout.strip() == f"24 rows -> {csv_path}"
    frame = pd.read_csv(csv_path)
    assert len(frame) == 24 and frame["key"].is_unique and (frame["status"] == "ok").all()
    result = invoke("export", "--store", store, "-o", json_path, "--suite", "smoke")
    assert_ok(result)
    records = json.loads(json_path.read_text())
    assert len(records) == 24 and {r["key"] for r in records} == set(frame["key"])


def test_export_bad_extension(smoke_store, tmp_path):
    store, _ = smoke_store
    for name, shown in [("x.txt", "'.txt'"), ("x", "'(none)'")]:
        assert_user_error(
            invoke("export", "--store", store, "-o", tmp_path / name),
            f"unsupported export format {shown}",
            ".csv or .json",
        )
        assert not (tmp_path / name).exists()


def test_default_store_and_report_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIBENCH_STORE", raising=False)
    result = invoke("run", "smoke", "--estimators", "gaussian", "--no-progress", "--inline")
    assert_ok(result)
    assert result.stdout.splitlines()[0] == f"results store: {Path('.mibench') / 'results.sqlite'}"
    assert result.stdout.splitlines()[-1] == "next: mibench report"
    assert (tmp_path / ".mibench" / "results.sqlite").is_file()
    result = invoke("report")
    assert_ok(result)
    assert (tmp_path / "reports" / "latest" / "report.md").is_file()
    assert list((tmp_path / "reports" / "latest").glob("*.png"))
    result = invoke("export", "-o", "all.json")
    assert_ok(result)
    assert len(json.loads((tmp_path / "all.json").read_text())) == 12


def test_store_from_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIBENCH_STORE", str(tmp_path / "env" / "store.sqlite"))
    result = invoke("run", "smoke", "--estimators", "gaussian", "--tasks", "*1x1*", "--no-progress", "--inline")
    assert_ok(result)
    assert (tmp_path / "env" / "store.sqlite").is_file() and not (tmp_path / ".mibench").exists()
    assert invoke("export", "-o", "x.csv").stdout.startswith("6 rows")


# ---------------------------------------------------------------------------------------------------------------
# estimate
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    x, y = mibench.get_task("gaussian-pairs-1x1-rho0.75").sample(N, seed=1)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


@pytest.fixture(scope="module")
def data_files(sample, tmp_path_factory):
    x, y = sample
    folder = tmp_path_factory.mktemp("data")
    table = np.hstack([x, y])
    files = {
        "csv": folder / "s.csv",
        "csv-header": folder / "h.csv",
        "npz": folder / "s.npz",
        "npz-table": folder / "t.npz",
        "npy": folder / "s.npy",
    }
    np.savetxt(files["csv"], table, delimiter=",")
    np.savetxt(files["csv-header"], table, delimiter=",", header="x,y", comments="")
    np.savez(files["npz"], x=x, y=y)
    np.savez(files["npz-table"], table=table)
    np.save(files["npy"], table)
    return files


def _parse(result: Result) -> tuple[float, float]:
    match = RESULT_LINE.search(result.stdout)
    assert match, result.stdout
    return float(match.group(1)), float(match.group(2))


@pytest.mark.parametrize("kind", ["csv", "csv-header", "npz", "npz-table", "npy"])
def test_estimate_gaussian_on_each_format(data_files, sample, kind):
    path = data_files[kind]
    result = invoke("estimate", path, "--estimator", "gaussian")
    assert_ok(result)
    assert result.stdout.splitlines()[0] == f"gaussian on {path} (n={N}, dim_x=1, dim_y=1):"
    nats, bits = _parse(result)
    assert bits == pytest.approx(nats / LN2, abs=2e-6)  # both printed with 6 decimals
    assert nats == pytest.approx(TRUE_MI, abs=GAUSSIAN_TOL)
    assert nats == pytest.approx(get_estimator("gaussian").estimate(*sample), abs=1e-6)


def test_estimate_json(data_files, sample):
    result = invoke("estimate", data_files["npz"], "-e", "gaussian", "--json")
    assert_ok(result)
    out = json.loads(result.stdout)
    assert {k: out[k] for k in ("estimator", "n", "dim_x", "dim_y")} == {
        "estimator": "gaussian",
        "n": N,
        "dim_x": 1,
        "dim_y": 1,
    }
    assert isinstance(out["params"], dict)
    assert out["mi_bits"] == pytest.approx(out["mi_nats"] / LN2, rel=1e-12)
    assert out["mi_nats"] == pytest.approx(TRUE_MI, abs=GAUSSIAN_TOL)


def test_estimate_passes_hyperparameters(data_files, sample):
    path = data_files["npy"]
    default = json.loads(invoke("estimate", path, "-e", "ksg", "--json").stdout)
    k5 = invoke("estimate", path, "-e", "ksg", "-p", "k=5", "--json")
    assert_ok(k5)
    k5 = json.loads(k5.stdout)
    assert k5["params"]["k"] == 5 and default["params"]["k"] != 5
    assert k5["mi_nats"] == pytest.approx(get_estimator("ksg", k=5).estimate(*sample), rel=1e-9)
    assert k5["mi_nats"] != default["mi_nats"]
    long_form = json.loads(invoke("estimate", path, "--estimator", "ksg", "--param", "k=5", "--json").stdout)
    assert long_form["mi_nats"] == k5["mi_nats"]


def test_estimate_column_options(tmp_path, sample):
    x, y = sample
    noise = np.random.default_rng(7).standard_normal((N, 1))
    path = tmp_path / "three.csv"
    np.savetxt(path, np.hstack([noise, x, y]), delimiter=",", header="noise,a,b", comments="")
    pair = json.loads(invoke("estimate", path, "-e", "gaussian", "--x-cols", "a", "--y-cols", "b", "--json").stdout)
    assert pair["mi_nats"] == pytest.approx(get_estimator("gaussian").estimate(x, y), abs=1e-9)
    by_index = json.loads(
        invoke("estimate", path, "-e", "gaussian", "--x-cols", "1", "--y-cols", "-1", "--json").stdout
    )
    assert by_index["mi_nats"] == pair["mi_nats"]
    # default: x = first column (independent noise), y = the rest: MI about 0
    default = json.loads(invoke("estimate", path, "-e", "gaussian", "--json").stdout)
    assert (default["dim_x"], default["dim_y"]) == (1, 2)
    assert default["mi_nats"] == pytest.approx(0.0, abs=GAUSSIAN_TOL)
    only_y = json.loads(invoke("estimate", path, "-e", "gaussian", "--y-cols", "0:2", "--json").stdout)
    assert (only_y["dim_x"], only_y["dim_y"]) == (1, 2)


# ---------------------------------------------------------------------------------------------------------------
# user errors: exit status 2, one "error:" line, no traceback
# ---------------------------------------------------------------------------------------------------------------


def test_unknown_estimator_suggests_a_close_name(data_files):
    line = assert_user_error(invoke("estimate", data_files["csv"], "--estimator", "ksgg"), "unknown estimator 'ksgg'")
    assert re.search(r"Did you mean: [^?]*\bksg\b", line)
    assert_user_error(
        invoke(
            "run", "smoke", "--store", data_files["csv"].parent / "s.sqlite", "--estimators", "ksgg", "--no-progress"
        ),
        "unknown estimator 'ksgg'",
        "ksg",
    )


def test_unknown_suite(tmp_path):
    line = assert_user_error(invoke("run", "smok", "--store", tmp_path / "s.sqlite"), "unknown suite 'smok'")
    assert "smoke" in line


def test_unknown_task_pattern(tmp_path):
    result = invoke("run", "smoke", "--store", tmp_path / "s.sqlite", "--tasks", "nothing-*", "--no-progress")
    assert_user_error(result, "unknown task", "nothing-*")


def test_report_and_export_without_a_store(tmp_path):
    missing = tmp_path / "nope.sqlite"
    assert_user_error(invoke("report", "--store", missing, "-o", tmp_path / "out"), "no results store", str(missing))
    assert_user_error(invoke("export", "--store", missing, "-o", tmp_path / "x.csv"), "no results store")
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_report_for_a_suite_not_in_the_store(tmp_path):
    store = tmp_path / "quick.sqlite"
    # a few jobs of the quick suite on a task that smoke does not have
    result = invoke(
        "run",
        "quick",
        "--store",
        store,
        "--estimators",
        "gaussian",
        "--tasks",
        "gaussian-pairs-1x1-mi0.5",
        "--no-progress",
        "--inline",
    )
    assert_ok(result)
    assert_user_error(
        invoke("report", "--store", store, "--suite", "smoke", "-o", tmp_path / "r"),
        "has no results for suite 'smoke'",
        "mibench run",
    )
    assert_user_error(
        invoke("export", "--store", store, "--suite", "smoke", "-o", tmp_path / "x.csv"),
        "has no results for suite 'smoke'",
    )
    assert_user_error(
        invoke("report", "--store", store, "--suite", "smok", "-o", tmp_path / "r"), "unknown suite 'smok'"
    )
    assert_ok(invoke("report", "--store", store, "--suite", "quick", "-o", tmp_path / "r"))


def test_estimate_file_errors(tmp_path):
    assert_user_error(
        invoke("estimate", tmp_path / "missing.csv", "-e", "gaussian"), f"no such file: {tmp_path / 'missing.csv'}"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,oops\n")
    assert_user_error(invoke("estimate", bad, "-e", "gaussian"), "line 3, column 'b': 'oops' is not a number")
    other = tmp_path / "data.xlsx"
    other.write_text("1,2\n")
    assert_user_error(invoke("estimate", other, "-e", "gaussian"), "unsupported file type '.xlsx'")
    table = tmp_path / "t.npy"
    np.save(table, np.zeros((10, 3)))
    assert_user_error(
        invoke("estimate", table, "-e", "gaussian", "--x-cols", "0,1", "--y-cols", "1"), "selected for both x and y"
    )
    assert_user_error(invoke("estimate", table, "-e", "gaussian", "--x-cols", "5"), "--x-cols: column 5 out of range")


def test_estimate_nan_in_data(tmp_path):
    path = tmp_path / "nan.csv"
    rows = np.random.default_rng(0).standard_normal((50, 2))
    rows[10, 1] = np.nan
    np.savetxt(path, rows, delimiter=",")
    for estimator in ("ksg", "gaussian"):
        assert_user_error(invoke("estimate", path, "-e", estimator), "NaN")


def test_estimate_too_few_samples(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("1,2\n3,4\n5,7\n")  # n = 3 <= k = 3
    assert_user_error(invoke("estimate", path, "-e", "ksg"), "too few samples", "n=3")
    path = tmp_path / "ten.npy"
    np.save(path, np.random.default_rng(0).standard_normal((10, 2)))
    assert_user_error(invoke("estimate", path, "-e", "ksg", "-p", "k=10"), "too few samples", "n=10")


@pytest.mark.parametrize("param", ["k", "=5", " =5"])
def test_estimate_bad_param_syntax(data_files, param):
    assert_user_error(
        invoke("estimate", data_files["npy"], "-e", "ksg", "-p", param), "--param expects NAME=VALUE", repr(param)
    )


def test_estimate_unknown_hyperparameter(data_files):
    assert_user_error(invoke("estimate", data_files["npy"], "-e", "ksg", "-p", "kk=3"), "'kk'", "k")
    assert_user_error(invoke("estimate", data_files["npy"], "-e", "gaussian", "-p", "k=3"), "'k'")


@pytest.mark.parametrize("estimator", ["kl", "wkl", "kde", "gaussian", "ksg"])
def test_estimate_on_extreme_scales_prints_the_unscaled_estimate_as_valid_json(tmp_path, sample, estimator):
    x, y = sample
    plain = get_estimator(estimator).estimate(x[:500], y[:500])
    for scale in (1e200, 1e-200):
        path = tmp_path / "scaled.npy"
        np.save(path, np.hstack([x[:500], y[:500]]) * scale)
        result = invoke("estimate", path, "-e", estimator, "--json")
        assert_ok(result)
        out = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
        assert out["mi_nats"] == pytest.approx(plain, rel=1e-9)


@pytest.mark.parametrize("as_json", [False, True])
def test_estimate_never_prints_a_non_finite_value(data_files, as_json):
    flags = ["--json"] if as_json else []
    result = invoke("estimate", data_files["npy"], "-e", "tests.runner.faulty:ReturnsNaN", *flags)
    assert_user_error(result, "returned a non-finite value (nan)", str(data_files["npy"]))
    assert result.stdout == ""


@pytest.mark.parametrize(("kind", "shown"), [("str", "'0.25' of type str"), ("array", "of type ndarray")])
def test_estimate_refuses_an_estimate_that_is_not_a_float(data_files, kind, shown):
    result = invoke("estimate", data_files["npy"], "-e", "tests.runner.faulty:ReturnsType", "-p", f"kind={kind}")
    assert_user_error(result, "estimator 'tests.runner.faulty:ReturnsType' returned", shown, "must return a float")


def test_estimate_names_an_npz_member_that_is_not_an_array(tmp_path, sample):
    import io
    import zipfile

    buffer = io.BytesIO()
    np.save(buffer, np.hstack(sample))
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("table.npy", buffer.getvalue())
        archive.writestr("notes.txt", "not an array")
    assert_user_error(invoke("estimate", path, "-e", "gaussian"), "member 'notes.txt' of", str(path))


def test_estimate_refuses_a_column_given_twice(data_files):
    assert_user_error(invoke("estimate", data_files["npy"], "-e", "ksg", "--x-cols", "0,0"), "selected more than once")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("a b:c", "import path package.module:Class"),
        ("mod:Outer.Inner", "import path package.module:Class"),
        ("os:getcwd", "not a class"),
        ("mibench.interface:BaseEstimator", "implements neither estimate nor estimate_with_info"),
        ("tests.runner.faulty:spec", "not a class"),
    ],
)
def test_estimate_refuses_an_import_path_that_is_not_an_estimator_class(data_files, name, fragment):
    assert_user_error(invoke("estimate", data_files["npy"], "-e", name), repr(name), fragment)


def test_a_corrupt_schema_version_names_the_store_in_every_command(tmp_path):
    import sqlite3

    from mibench.runner import ResultsStore

    store = tmp_path / "bad.sqlite"
    ResultsStore(store).close()
    with sqlite3.connect(store) as db:
        db.execute("UPDATE meta SET value = 'x1' WHERE name = 'schema_version'")
    commands = [
        ("report", "--store", store, "-o", tmp_path / "r"),
        ("list", "suites", "--store", store),
        ("export", "--store", store, "-o", tmp_path / "x.csv"),
        ("run", "smoke", "--store", store, "--no-progress"),
        ("compare", store, store),
    ]
    for args in commands:
        assert_user_error(invoke(*args), f"the results store {store} is damaged", "schema_version is 'x1'")


# ---------------------------------------------------------------------------------------------------------------
# records directories, stores that cannot be used, the environment section, shared helpers
# ---------------------------------------------------------------------------------------------------------------


def test_report_shows_the_machine_and_environment(smoke_store, tmp_path):
    from mibench.runner.environment import describe_environment

    store, _ = smoke_store
    out = tmp_path / "env"
    assert_ok(invoke("report", "--store", store, "-o", out))
    text = (out / "report.md").read_text()
    section = text.split("## Machine and environment", 1)[1].split("\n## ", 1)[0]
    here = describe_environment().describe()
    assert "**Environment** (1 run(s):" in section
    for name in ("CPU", "cores", "Python", "libraries"):
        assert f"  - {name}: {here[name]}" in section
    (blas,) = [line for line in section.splitlines() if line.startswith("  - BLAS/OpenMP: ")]
    assert blas.split(": ", 1)[1] != "not found"  # which libraries are loaded varies with what ran before
    assert "  - mibench: " in section


def test_run_records_the_records_directory(tmp_path):
    from mibench.runner import ResultsStore

    store = tmp_path / "s.sqlite"
    records = tmp_path / "records"
    result = invoke(
        "run", "smoke", "--store", store, "--estimators", "gaussian", "--tasks", "*1x1*", "--inline", "--no-progress",
        "--records", records,
    )  # fmt: skip
    assert_ok(result)
    with ResultsStore(store) as results:
        (run,) = results.runs()
    assert json.loads(run["options"])["records_dir"] == str(records.resolve())


def test_a_missing_record_is_one_error_line(tmp_path, monkeypatch):
    import importlib

    from mibench.suites import EstimatorSpec, Suite

    network = Suite(
        name="net",
        tasks=("net-12bit-tanh-s0-e100-l6-xt",),
        estimators=(EstimatorSpec("gaussian"),),
        sample_sizes=(100,),
        repetitions=1,
    )
    run_module = importlib.import_module("mibench.runner.run")
    monkeypatch.setattr(run_module, "resolve_suite", lambda name: network)
    store = tmp_path / "s.sqlite"
    assert_user_error(invoke("run", "net", "--store", store, "--no-progress"), "network task", "--records DIR")
    assert_user_error(
        invoke("run", "net", "--store", store, "--no-progress", "--records", tmp_path),
        str(tmp_path / "net-12bit-tanh-s0.npz"),
    )
    assert not store.exists()


def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path):
    import sqlite3

    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    before = other.read_bytes()
    for args in (("report", "-o", tmp_path / "r"), ("export", "-o", tmp_path / "x.csv"), ("run", "smoke")):
        assert_user_error(invoke(*args, "--store", other), "is not a mibench results store", str(other))
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["app.sqlite"]


def test_a_store_from_a_newer_mibench_is_one_error_line(tmp_path):
    import sqlite3

    from mibench.runner import ResultsStore

    store = tmp_path / "s.sqlite"
    ResultsStore(store).close()
    with sqlite3.connect(store) as db:
        db.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    assert_user_error(invoke("report", "--store", store, "-o", tmp_path / "r"), "newer mibench", "Upgrade mibench")


def test_export_into_a_missing_folder_is_one_error_line(smoke_store, tmp_path):
    store, _ = smoke_store
    assert_user_error(invoke("export", "--store", store, "-o", tmp_path / "no" / "such" / "x.csv"), "no")


def test_the_cli_uses_the_shared_helpers():
    import mibench.cli as cli
    import mibench.cli_support as support

    for private in ("_user_errors", "_split", "_table", "_store_option", "_load_results", "USER_ERROR_EXIT", "LN2"):
        assert not hasattr(cli, private), private
    assert cli.user_errors is support.user_errors and cli.split_list is support.split_list


# ---------------------------------------------------------------------------------------------------------------
# compare (the rule itself is tested in tests/report/test_compare.py)
# ---------------------------------------------------------------------------------------------------------------


def _compare_store(path: Path, worse: float = 0.0, *, extra_estimator: str | None = None) -> Path:
    """A store with ksg on two tasks x 5 seeds (deterministic, 0.1 nats off), ``worse`` nats added to every
    estimate; ``extra_estimator`` adds one 0.6 nats off (worse than ksg by 0.5 per seed)."""
    from mibench.runner import ResultsStore
    from tests.rows import result_row

    with ResultsStore(path) as store:
        run_id = store.start_run("test", {}, 1, 1, "0")
        for task, truth in (("t1", 1.0), ("t2", 2.0)):
            for estimator, offset in (("ksg", 0.1 + worse), (extra_estimator, 0.6)):
                if estimator is None:
                    continue
                for seed in range(5):
                    store.record(
                        result_row(
                            key=f"{task}|{estimator}|{seed}",
                            task_id=task,
                            estimator=estimator,
                            params_hash=f"h-{estimator}",
                            seed=seed,
                            repetition=seed,
                            estimate=truth + offset,
                            true_mi=truth,
                            run_id=run_id,
                        )
                    )
    return path


def test_compare_a_store_with_itself_and_its_export(tmp_path):
    store = _compare_store(tmp_path / "base.sqlite")
    assert_ok(invoke("export", "--store", store, "-o", tmp_path / "base.csv"))
    for current in (store, tmp_path / "base.csv"):
        result = invoke("compare", store, current, "--json", tmp_path / "c.json")
        assert_ok(result)
        assert "✅ mibench compare: no regressions" in result.output
        assert json.loads((tmp_path / "c.json").read_text())["regressed"] is False
    assert "exported results file records no machine" in result.output


def test_compare_flags_a_regression_with_exit_1(tmp_path):
    base = _compare_store(tmp_path / "base.sqlite")
    cur = _compare_store(tmp_path / "cur.sqlite", worse=0.5)
    result = invoke("compare", base, cur, "--format", "github")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("**❌ mibench compare: 2 cell(s) regressed")


def test_compare_versus_an_estimator_in_one_store(tmp_path):
    store = _compare_store(tmp_path / "s.sqlite", extra_estimator="mine")
    result = invoke("compare", store, "--versus", "ksg")
    assert result.exit_code == 1 and "2 cell(s) worse than ksg" in result.output
    assert_ok(invoke("compare", store, "--versus", "mine"))  # ksg is better than mine: nothing worse


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("{s}",), "needs BASELINE and CURRENT"),
        (("{s}", "{s}", "--versus", "ksg"), "only BASELINE"),
        (("{s}", "--versus", "kde"), "not in"),
        (("{s}", "{missing}"), "no results store"),
        (("{s}", "{bad}"), "lacks column"),
        (("{s}", "{s}", "--alpha", "2"), "alpha"),
    ],
)
def test_compare_usage_errors(tmp_path, args, fragment):
    store = _compare_store(tmp_path / "s.sqlite")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    values = {"s": store, "missing": tmp_path / "missing.sqlite", "bad": bad}
    assert_user_error(invoke("compare", *(a.format(**values) for a in args)), fragment)


def test_a_suite_file_runs_and_is_selected_by_name_in_report_export_and_compare(tmp_path):
    suite_file = tmp_path / "mine.toml"
    suite_file.write_text(
        'name = "my-suite"\ntasks = ["gaussian-pairs-1x1-rho0.75"]\nsample_sizes = [200]\nrepetitions = 3\n'
        '[[estimators]]\nname = "gaussian"\n'
    )
    store = tmp_path / "s.sqlite"
    result = invoke("run", "--suite-file", suite_file, "--store", store, "--inline", "--no-progress")
    assert_ok(result)
    assert "suite my-suite: 3 jobs, 0 already stored, 3 run now" in result.output
    again = invoke("run", "--suite-file", suite_file, "--store", store, "--inline", "--no-progress", "--fresh")
    assert "3 jobs, 0 already stored, 3 run now" in again.output  # --fresh recomputes the finished jobs
    assert_ok(invoke("report", "--store", store, "--suite", "my-suite", "-o", tmp_path / "r"))
    assert "my-suite" in (tmp_path / "r" / "report.md").read_text()
    listed = invoke("list", "suites", "--store", store)
    assert_ok(listed)
    (row,) = [line.split() for line in listed.stdout.splitlines() if line.startswith("my-suite")]
    assert row[1:7] == ["3", "1", "gaussian", "200", "3", "store"]
    assert_ok(invoke("export", "--store", store, "--suite", "my-suite", "-o", tmp_path / "x.csv"))
    assert len(pd.read_csv(tmp_path / "x.csv")) == 3
    assert_ok(invoke("export", "--store", store, "--all-versions", "-o", tmp_path / "all.csv"))
    assert len(pd.read_csv(tmp_path / "all.csv")) == 3  # --fresh replaced the rows: one version of each job
    assert_ok(invoke("compare", store, store, "--suite", "my-suite"))
    assert_user_error(invoke("compare", store, tmp_path / "x.csv", "--suite", "my-suite"), "is an export file")
    assert_user_error(invoke("report", "--store", store, "--suite", "my-suit", "-o", tmp_path / "r"), "my-suite")


@pytest.mark.parametrize("args", [(), ("smoke", "--suite-file", "{file}")])
def test_run_needs_exactly_one_suite(tmp_path, args):
    suite_file = tmp_path / "s.toml"
    suite_file.write_text("")
    result = invoke("run", *(a.format(file=suite_file) for a in args), "--store", tmp_path / "s.sqlite")
    assert_user_error(result, "give a built-in SUITE", "--suite-file")
    assert not (tmp_path / "s.sqlite").exists()


def test_a_bad_suite_file_is_one_error_line(tmp_path):
    suite_file = tmp_path / "bad.toml"
    suite_file.write_text(
        'name = "x"\ntasks = ["gaussian-pairs-1x1-mi1"]\nestimators = ["nope"]\nsample_sizes = [100]\nrepetitions = 1\n'
    )
    result = invoke("run", "--suite-file", suite_file, "--store", tmp_path / "s.sqlite")
    assert_user_error(result, str(suite_file), "unknown estimator 'nope'", "ksg")


# ---------------------------------------------------------------------------------------------------------------
# the results store: reading changes nothing, storage faults are one error line
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gaussian_store(tmp_path_factory) -> Path:
    """A store of the smoke suite's gaussian jobs (12 rows), closed cleanly."""
    path = tmp_path_factory.mktemp("gaussian") / "s.sqlite"
    assert_ok(invoke("run", "smoke", "--estimators", "gaussian", "--inline", "--no-progress", "--store", path))
    return path


def _as_version_3(path: Path) -> None:
    """Turn a store into schema version 3 (runs without their coordinator columns), as mibench then wrote it."""
    import sqlite3

    with sqlite3.connect(path) as db:
        for column in ("host", "host_id", "pid", "pid_start", "heartbeat"):
            db.execute(f"ALTER TABLE runs DROP COLUMN {column}")
        db.execute("UPDATE meta SET value = '3' WHERE name = 'schema_version'")
    db.close()


def _file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def _reading_commands(path: Path, out: Path) -> list[tuple[object, ...]]:
    return [
        ("report", "--store", path, "--out", out / "report"),
        ("export", "--store", path, "-o", out / "rows.csv"),
        ("compare", path, path),
        ("list", "suites", "--store", path),
    ]


@pytest.mark.parametrize("version", ["current", "3"])
def test_report_export_compare_and_list_never_change_the_store(tmp_path, gaussian_store, version):
    import shutil

    path = tmp_path / "s.sqlite"
    shutil.copy(gaussian_store, path)
    if version == "3":  # an older store is read through a copy migrated in memory, never migrated in place
        _as_version_3(path)
    before = _file_state(path)
    for args in _reading_commands(path, tmp_path):
        assert_ok(invoke(*args))
    assert _file_state(path) == before
    assert len(pd.read_csv(tmp_path / "rows.csv")) == 12
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("s.sqlite")) in (
        ["s.sqlite"],
        ["s.sqlite", "s.sqlite-shm", "s.sqlite-wal"],  # SQLite's companions of a WAL store, holding no rows
    )


@pytest.mark.parametrize("kind", ["another application's database", "an empty database", "an empty file"])
def test_reading_commands_refuse_a_file_that_is_not_a_store_and_leave_it_unchanged(tmp_path, kind):
    import sqlite3

    path = tmp_path / "app.sqlite"
    if kind == "an empty file":
        path.touch()
    else:
        with sqlite3.connect(path) as db:
            if kind == "an empty database":
                db.execute("PRAGMA user_version = 7")  # a valid database file with no tables
            else:
                db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.close()
    before = _file_state(path)
    for args in _reading_commands(path, tmp_path):
        assert_user_error(invoke(*args), str(path))
        assert _file_state(path) == before, args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.sqlite"]


def _unprivileged() -> list[str]:
    """A command prefix that runs a command as an unprivileged user (root writes read-only files)."""
    import os
    import shutil

    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test read-only files")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.fixture
def shared_folder():
    """A folder outside pytest's private temporary folder, so that an unprivileged user can reach it."""
    import os
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mibench-store-"))
    os.chmod(folder, 0o777)
    yield folder
    os.chmod(folder, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


def _integrity(path: Path) -> tuple[str, list[tuple[str, str]]]:
    import sqlite3

    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT key, finished_at FROM results ORDER BY key").fetchall()
    db.close()
    return check, rows


def _one_error_line(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and done.stderr.strip().splitlines()[-1] == errors[0], done.stderr
    for fragment in fragments:
        assert fragment in errors[0]
    return errors[0]


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_store_is_one_error_line_and_stays_readable(gaussian_store, shared_folder, read_only):
    import os
    import shutil

    path = shared_folder / "s.sqlite"
    shutil.copy(gaussian_store, path)
    os.chmod(path, 0o444 if read_only == "file" else 0o666)
    out = shared_folder / "out"
    out.mkdir(mode=0o777)
    os.chmod(out, 0o777)
    if read_only == "folder":
        os.chmod(shared_folder, 0o555)
    before = _file_state(path)
    env = {**os.environ, "HOME": str(shared_folder)}
    as_user = [*_unprivileged(), *_script()]
    run = [*as_user, "run", "smoke", "--inline", "--no-progress", "--store", str(path)]  # ksg's jobs are missing
    done = subprocess.run(run, cwd=shared_folder, capture_output=True, text=True, timeout=300, env=env)
    _one_error_line(
        done,
        f"cannot write to the results store {path}",
        f"{read_only if read_only == 'file' else 'folder ' + str(shared_folder)} is read-only",
    )
    assert _file_state(path) == before and _integrity(path)[0] == "ok"
    # reading needs no write permission (in a read-only folder, SQLite cannot add its shared-memory file)
    export = [*as_user, "export", "--store", str(path), "-o", str(out / "rows.csv")]
    done = subprocess.run(export, cwd=shared_folder, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out / "rows.csv")) == 12 and _file_state(path) == before


def test_a_full_disk_is_one_error_line_keeps_every_row_and_marks_the_run_failed(gaussian_store, tmp_path):
    import os
    import shutil
    import sqlite3

    path = tmp_path / "s.sqlite"
    shutil.copy(gaussian_store, path)
    check, rows_before = _integrity(path)
    assert check == "ok" and len(rows_before) == 12 and path.stat().st_size < 100 * 1024
    suite_file = tmp_path / "many.toml"
    suite_file.write_text(
        'name = "many"\ntasks = ["gaussian-pairs-1x1-rho0.75"]\nsample_sizes = [100]\nrepetitions = 200\n'
        'estimators = ["gaussian"]\n'
    )
    run = [*_script(), "run", "--suite-file", str(suite_file), "--inline", "--no-progress", "--store", str(path)]
    # no file may grow past 100 KiB: the store's WAL fills up after a few jobs (writes then fail with EFBIG)
    limited = ["bash", "-c", 'ulimit -f 100 && exec "$@"', "bash", *run]
    done = subprocess.run(limited, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    _one_error_line(done, f"could not write to the results store {path}", "every row stored before is kept")
    check, rows_after = _integrity(path)
    assert check == "ok" and set(rows_before) <= set(rows_after) and len(rows_after) < 12 + 200
    with sqlite3.connect(path) as db:
        runs = db.execute("SELECT suite, state, n_done FROM runs ORDER BY started_at").fetchall()
    db.close()
    assert runs[0][:2] == ("smoke", "finished") and runs[1][:2] == ("many", "failed")
    assert runs[1][2] == len(rows_after) - 12  # the jobs whose rows were committed before the disk filled
    resumed = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"200 jobs, {len(rows_after) - 12} already stored" in resumed.stdout
