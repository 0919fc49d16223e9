"""The pytest plugin (mibench.pytest_plugin), through pytest's own ``pytester``: small test files that use its
fixtures run in a pytest session of their own, and their outcomes, messages and benchmark JSON are checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mibench import pytest_plugin
from mibench.testing import accuracy_over_seeds

pytest_plugins = ["pytester"]

#: Quick pytest-benchmark settings for the runs below (the timings themselves are never checked).
FAST = ["--benchmark-min-rounds=1", "--benchmark-max-time=0.0001", "--benchmark-warmup=off", "-p", "no:cacheprovider"]

#: A test file's estimator: the Gaussian baseline plus a constant read from shift.txt at test time (a data file, so
#: changing it between runs cannot be hidden by Python's bytecode cache).
SHIFTED = """
    from pathlib import Path

    import mibench
    from mibench.interface import BaseEstimator


    class Shifted(BaseEstimator):
        def __init__(self, *, shift=0.0):
            self.shift = shift

        def estimate(self, x, y):
            return mibench.get_estimator("gaussian").estimate(x, y) + self.shift


    def shift():
        return float(Path(__file__).with_name("shift.txt").read_text())
"""


@pytest.fixture(autouse=True, scope="module")
def _imported_before_the_inner_sessions() -> None:
    """pytester's in-process sessions unload the modules they imported when they end; numpy's and scipy's compiled
    modules cannot be loaded twice in one process, so what the inner sessions use is imported here first."""
    import scipy.special
    import scipy.stats

    import mibench.estimators.gaussian
    import mibench.report.compare
    import mibench.suites
    import mibench.synthetic

    mibench.suites.get_suite("quick")
    assert scipy.special and scipy.stats and mibench.estimators.gaussian and mibench.report.compare


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    """pytest loads it into every session: it must not import torch, pandas, seaborn, numpy or the catalogue."""
    heavy = ["torch", "pandas", "seaborn", "matplotlib", "numpy", "scipy", "mibench.synthetic", "mibench.estimators"]
    code = (
        "import json, sys, mibench.pytest_plugin\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
        "assert 'torch' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == []


def test_the_options_are_in_pytest_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    assert result.ret == 0
    text = result.stdout.str()
    assert "mibench: MI estimator tasks, accuracy assertions and accuracy benchmarks" in text
    for option in (
        "suite",
        "tasks",
        "estimators",
        "n",
        "seeds",
        "baseline",
        "accuracy-margin",
        "accuracy-margin-rel",
    ):
        assert f"--mibench-{option}=" in text


def test_a_session_that_does_not_use_it_is_unchanged(pytester: pytest.Pytester) -> None:
    """A test file with its own fixture called ``task`` and its own parametrisation: nothing is added."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def task():
            return "mine"

        @pytest.mark.parametrize("n", [1, 2])
        def test_plain(task, n):
            assert task == "mine"
        """
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_plain[[]1[]] PASSED*", "*test_plain[[]2[]] PASSED*"])


def test_the_fixtures_parametrise_over_the_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json

        def test_grid(mibench_estimator, mibench_task, mibench_n, mibench_seeds, mibench_suite, record_property):
            assert mibench_suite.name in ("smoke", "quick")
            assert mibench_task.id in mibench_suite.tasks and mibench_n > 0
            print("SEEDS", json.dumps(mibench_seeds), "SPEC", mibench_estimator.name, dict(mibench_estimator.params))
        """
    )
    listed = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    ids = sorted(line.split("[", 1)[1].rstrip("]") for line in listed.stdout.lines if "::test_grid[" in line)
    estimators, tasks, sizes = (
        ("gaussian", "ksg"),
        ("gaussian-pairs-1x1-rho0.75", "gaussian-pairs-2x2-mi1"),
        (200, 1000),
    )
    assert ids == sorted(f"{e}-{t}-n{n}" for e in estimators for t in tasks for n in sizes)

    chosen = pytester.runpytest(
        "-s",
        "-p",
        "no:cacheprovider",
        "--mibench-estimators=gaussian",
        "--mibench-tasks=*1x1*",
        "--mibench-n=300",
        "--mibench-seeds=4",
    )
    chosen.assert_outcomes(passed=1)
    chosen.stdout.fnmatch_lines(["*SEEDS [[]0, 1, 2, 3[]] SPEC gaussian {}*"])


def test_the_suites_estimator_limits_hold(pytester: pytest.Pytester) -> None:
    """In ``quick``, infonce runs only up to n = 3000 and on its task slice; the grid generated follows it."""
    pytester.makepyfile(
        """
        def test_grid(mibench_estimator, mibench_task, mibench_n):
            pass
        """
    )
    result = pytester.runpytest(
        "--collect-only", "-q", "-p", "no:cacheprovider", "--mibench-suite=quick", "--mibench-estimators=infonce"
    )
    from mibench.suites import get_suite

    quick = get_suite("quick")
    spec = next(spec for spec in quick.estimators if spec.name == "infonce")
    expected = {(t, n) for t in quick.tasks for n in quick.sample_sizes if spec.runs_on(t, n)}
    items = [line for line in result.stdout.lines if "::test_grid[" in line]
    assert len(items) == len(expected) and 0 < len(expected) < len(quick.tasks) * len(quick.sample_sizes)
    assert all("n10000" not in item for item in items)
    assert all(f"max_steps={spec.params['max_steps']}" in item for item in items)  # the suite's parameters


def test_a_test_that_parametrises_a_fixture_keeps_its_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("mibench_task", ["gaussian-pairs-3x3-mi2"], indirect=True)
        def test_own(mibench_task, mibench_n):
            assert mibench_task.id == "gaussian-pairs-3x3-mi2"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)  # x the suite's two sizes


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--mibench-suite=nope", "--mibench-suite: unknown suite 'nope'"),
        ("--mibench-estimators=ksg,nope", "--mibench-estimators: unknown estimator 'nope'"),
        ("--mibench-seeds=0", "argument --mibench-seeds: must be an integer >= 1, got '0'"),
        ("--mibench-accuracy-margin=-1", "must be a finite number >= 0, got '-1'"),
    ],
)
def test_bad_options_are_usage_errors(pytester: pytest.Pytester, option: str, message: str) -> None:
    pytester.makepyfile("def test_grid(mibench_estimator, mibench_task):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stdout.str() + result.stderr.str()


def test_assert_mi_close_passes_a_good_estimator_and_explains_a_biased_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SHIFTED
        + """
    from mibench.pytest_plugin import assert_mi_close


    def test_good(mibench_task):
        assert_mi_close(Shifted(), mibench_task, n=1000, seeds=5)


    def test_by_name(mibench_task):
        assert_mi_close("gaussian", mibench_task.id, n=1000, seeds=[10, 11, 12])


    def test_biased(mibench_task):
        assert_mi_close(Shifted(shift=0.3), mibench_task, n=1000, seeds=5, tol=0.05)
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--mibench-tasks=gaussian-pairs-1x1-rho0.75")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: *Shifted {'shift': 0.3} on gaussian-pairs-1x1-rho0.75 (n=1000, "
            "seeds [[]0, 1, 2, 3, 4[]]): mean estimate 0.7* nats vs truth 0.413339 nats: |mean - truth| = 0.3* > "
            "tolerance 0.* nats = tol 0.05 + rtol 0 x |truth| + t(0.995, 4 df) 4.604 x SE *"
            "Estimates (nats) by seed: 0: 0.7*",
        ]
    )


def _benchmarks(path: Path) -> dict[str, dict]:
    return {entry["name"]: entry for entry in json.loads(path.read_text())["benchmarks"]}


def test_mi_benchmark_records_bias_sd_and_rmse(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_accuracy(mi_benchmark, mibench_estimator, mibench_task, mibench_n):
            result = mi_benchmark(mibench_estimator, mibench_task, mibench_n)
            assert result.n == mibench_n and result.seeds == (0, 1, 2)
        """
    )
    out = pytester.path / "out.json"
    result = pytester.runpytest(
        *FAST, "--mibench-estimators=gaussian", "--mibench-n=300", f"--benchmark-json={out}", "--mibench-seeds=3"
    )
    result.assert_outcomes(passed=2)
    entries = _benchmarks(out)
    assert set(entries) == {f"test_accuracy[gaussian-{task}-n300]" for task in pytest_plugin_smoke_tasks()}
    for entry in entries.values():
        info = entry["extra_info"]
        expected = accuracy_over_seeds("gaussian", info["task"], 300, [0, 1, 2])
        assert info["estimates_nats"] == list(expected.estimates)
        assert info["bias_nats"] == expected.bias and info["sd_nats"] == expected.sd
        assert info["rmse_nats"] == expected.rmse and info["truth_nats"] == expected.truth
        assert (info["estimator"], info["params"], info["n"], info["seeds"]) == ("gaussian", {}, 300, [0, 1, 2])
        assert entry["stats"]["rounds"] >= 1  # it was timed
        assert "baseline" not in info


def pytest_plugin_smoke_tasks() -> tuple[str, ...]:
    from mibench.suites import get_suite

    return get_suite(pytest_plugin.DEFAULT_SUITE).tasks


def test_the_baseline_fails_a_worse_estimator_and_passes_an_unchanged_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SHIFTED
        + """

    def test_accuracy(mi_benchmark, mibench_task):
        mi_benchmark(Shifted(shift=shift()), mibench_task, 300)
    """
    )
    options = [*FAST, "--mibench-tasks=gaussian-pairs-1x1-rho0.75"]
    base, now = pytester.path / "base.json", pytester.path / "now.json"
    shift = pytester.path / "shift.txt"
    shift.write_text("0")
    pytester.runpytest(*options, f"--benchmark-json={base}").assert_outcomes(passed=1)

    compare = [*options, f"--mibench-baseline={base}", f"--benchmark-json={now}"]
    pytester.runpytest(*compare).assert_outcomes(passed=1)  # unchanged
    info = _benchmarks(now)["test_accuracy[gaussian-pairs-1x1-rho0.75]"]["extra_info"]
    assert info["baseline_rmse_nats"] == info["rmse_nats"] and info["baseline"] == str(base)
    assert info["accuracy_margin_nats"] == pytest.approx(max(0.02, 0.05 * info["truth_nats"]))

    shift.write_text("0.005")  # worse, but by less than the margin
    pytester.runpytest(*compare).assert_outcomes(passed=1)

    shift.write_text("0.3")
    worse = pytester.runpytest(*compare)
    worse.assert_outcomes(failed=1)
    worse.stdout.fnmatch_lines(
        [
            f"*accuracy regressed against the baseline {base} (benchmark "
            "test_the_baseline_fails_a_worse_estimator_and_passes_an_unchanged_one.py::"
            "test_accuracy[[]gaussian-pairs-1x1-rho0.75[]]): RMSE 0.3* nats now vs 0.0* nats in the baseline: "
            "+0.2* nats > margin 0.02067 nats = max(0.02 nats, 0.05 x truth 0.4133 nats)*",
        ]
    )
    worse.stdout.fnmatch_lines(["*Now: bias +0.3*, SD *; baseline: bias *the same seeds [[]0, 1, 2[]]*"])
    assert "Traceback" not in worse.stdout.str()
    # the numbers are recorded before the test fails
    assert _benchmarks(now)["test_accuracy[gaussian-pairs-1x1-rho0.75]"]["extra_info"]["bias_nats"] > 0.25

    looser = pytester.runpytest(*compare, "--mibench-accuracy-margin=0.5")
    looser.assert_outcomes(passed=1)


def test_a_baseline_of_another_sample_size_is_not_compared(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_accuracy(mi_benchmark, mibench_n):
            mi_benchmark("gaussian", "gaussian-pairs-1x1-rho0.75", mibench_n)
        """
    )
    base, now = pytester.path / "base.json", pytester.path / "now.json"
    pytester.runpytest(*FAST, "--mibench-n=300", f"--benchmark-json={base}").assert_outcomes(passed=1)
    # the same benchmark name (mibench_n is parametrised under the same id n300) but recorded for n = 300 there;
    # rewrite the baseline's n to stand for an older definition of the benchmark
    data = json.loads(base.read_text())
    data["benchmarks"][0]["extra_info"]["n"] = 250
    base.write_text(json.dumps(data))
    result = pytester.runpytest(*FAST, "--mibench-n=300", f"--mibench-baseline={base}", f"--benchmark-json={now}")
    result.assert_outcomes(passed=1, warnings=1)
    info = _benchmarks(now)["test_accuracy[n300]"]["extra_info"]
    assert info["baseline"] == "not compared: n 250 then, 300 now"


def test_a_missing_or_foreign_baseline_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    missing = pytester.runpytest("-p", "no:cacheprovider", "--mibench-baseline=nope.json")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    assert "--mibench-baseline: " in missing.stderr.str() and "nope.json" in missing.stderr.str()
    (pytester.path / "other.json").write_text('{"rows": []}')
    foreign = pytester.runpytest("-p", "no:cacheprovider", "--mibench-baseline=other.json")
    assert foreign.ret == pytest.ExitCode.USAGE_ERROR
    assert "has no 'benchmarks' list" in foreign.stderr.str()


def test_accuracy_regression_rule() -> None:
    record = {"task": "t", "n": 300, "seeds": [0, 1], "truth_nats": 1.0, "estimator": "e", "params": {}}
    base = {**record, "rmse_nats": 0.10}
    margin = max(0.02, 0.05 * 1.0)
    assert pytest_plugin.accuracy_regression({**record, "rmse_nats": 0.10 + margin}, base, 0.02, 0.05) is None
    worse = pytest_plugin.accuracy_regression({**record, "rmse_nats": 0.16}, base, 0.02, 0.05)
    assert worse is not None and worse.startswith("RMSE 0.16 nats now vs 0.1 nats in the baseline: +0.06 nats")
    assert pytest_plugin.accuracy_regression({**record, "rmse_nats": None}, base, 0.02, 0.05) is not None
    assert pytest_plugin.accuracy_regression({**record, "rmse_nats": None}, {**base, "rmse_nats": None}, 0, 0) is None
    assert pytest_plugin.accuracy_regression({**record, "rmse_nats": 0.01}, base, 0, 0) is None  # better


def test_the_default_margin_is_mibench_compares() -> None:
    from mibench.report.compare import CompareSettings

    settings = CompareSettings()
    assert (pytest_plugin.DEFAULT_MARGIN_ABS, pytest_plugin.DEFAULT_MARGIN_REL) == (
        settings.margin_abs,
        settings.margin_rel,
    )


def test_assert_mi_close_is_mibench_testings() -> None:
    from mibench.pytest_plugin import assert_mi_close
    from mibench.testing import assert_mi_close as original

    assert assert_mi_close is original
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        pytest_plugin.nothing  # noqa: B018
