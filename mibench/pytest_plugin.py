"""pytest plugin for MI estimator authors: task fixtures, an accuracy assertion, and accuracy benchmarks.

Installed with mibench (entry point ``pytest11``), so every pytest run in an environment with mibench loads it. It
changes nothing for a session that does not use it: it imports only the standard library and pytest when loaded,
its fixtures act only when a test asks for them, and its options (group ``mibench``, ``pytest --help``) all start
with ``--mibench-``. mibench's tasks, estimators and suites are imported when a test asks for them.

Fixtures:

``mibench_task``
    A :class:`~mibench.interface.Task`; a test that asks for it is parametrised over the suite's tasks
    (``--mibench-suite``, default ``smoke``; ``--mibench-tasks`` keeps those matching ids or shell patterns).
``mibench_n``
    A sample size; parametrised over the suite's sizes (``--mibench-n`` to choose).
``mibench_estimator``
    A :class:`mibench.suites.EstimatorSpec` (registry name and hyperparameters); parametrised over the suite's
    estimators plus the installed plugins' (``--mibench-estimators a,b`` or ``all``). Asked for together with
    ``mibench_task`` or ``mibench_n``, only the combinations the suite runs are generated (its ``max_n`` and task
    patterns per estimator). An estimator that needs torch is skipped where torch is not installed.
``mibench_seeds``
    The seeds ``0 .. k-1`` with ``k`` from ``--mibench-seeds`` (default: the suite's repetitions).
``mibench_suite``
    The :class:`mibench.suites.Suite` itself.
``mi_benchmark``
    Times an estimator with pytest-benchmark and records its accuracy; see :class:`MIBenchmark`.

A test that parametrises one of these names itself keeps its own values. :func:`assert_mi_close` (from
:mod:`mibench.testing`, importable from here too) asserts that an estimator's mean estimate over seeds is within a
tolerance of the truth::

    from mibench.pytest_plugin import assert_mi_close

    def test_close_on_every_suite_task(mibench_task):
        assert_mi_close(MyEstimator(), mibench_task, n=2000, seeds=10, tol=0.02)

    def test_accuracy_benchmark(mi_benchmark, mibench_estimator, mibench_task, mibench_n):
        mi_benchmark(mibench_estimator, mibench_task, mibench_n)

Accuracy regressions (``--mibench-baseline PATH``)
---------------------------------------------------
``PATH`` is a pytest-benchmark JSON file of an earlier run (``--benchmark-json PATH`` or one that
``--benchmark-autosave`` wrote). :class:`MIBenchmark` finds the benchmark of the same full name in it (the test's
node id; its short name when that is the only one of that name) and fails the test when

    ``RMSE_now > RMSE_baseline + max(a, r * |truth|)``

with ``a = --mibench-accuracy-margin`` (default 0.02 nats) and ``r = --mibench-accuracy-margin-rel`` (default 0.05),
the practical margin of ``mibench compare``. Both runs estimate on the same samples (``task.sample(n, seed)`` for
the same seeds; a stochastic estimator gets the same seed per sample), so the difference is the estimator's, not
the samples'; the margin says what change matters. A non-finite RMSE now against a finite one before is a
regression. A benchmark missing from the baseline, or recorded there for another task version, sample size, seeds
or truth, is not compared (the extra_info says why, with a warning for the latter). Timing never fails a test.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import itertools
import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mibench.interface import Task
    from mibench.suites import EstimatorSpec, Suite
    from mibench.testing import SeedAccuracy, assert_mi_close

__all__ = [
    "DEFAULT_MARGIN_ABS",
    "DEFAULT_MARGIN_REL",
    "DEFAULT_SUITE",
    "MIBenchmark",
    "accuracy_regression",
    "assert_mi_close",
    "load_baseline",
    "mi_benchmark",
    "mibench_estimator",
    "mibench_n",
    "mibench_seeds",
    "mibench_suite",
    "mibench_task",
]

#: The suite the fixtures draw from unless ``--mibench-suite`` names another.
DEFAULT_SUITE = "smoke"
#: Defaults of ``--mibench-accuracy-margin`` (nats) and ``--mibench-accuracy-margin-rel``: the practical margin
#: ``max(a, r * |truth|)`` of ``mibench compare`` (``mibench.report.compare.CompareSettings``).
DEFAULT_MARGIN_ABS = 0.02
DEFAULT_MARGIN_REL = 0.05

#: The fixtures that pytest_generate_tests parametrises, in the order of the generated ids.
_PARAMETRISED = ("mibench_estimator", "mibench_task", "mibench_n")


def __getattr__(name: str) -> Any:
    """``assert_mi_close`` is :func:`mibench.testing.assert_mi_close`, imported on first use (the plugin is loaded
    into every pytest run and stays light until then)."""
    if name == "assert_mi_close":
        from mibench.testing import assert_mi_close

        return assert_mi_close
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(_positive_int(part) for part in text.split(",") if part.strip())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mibench", "mibench: MI estimator tasks, accuracy assertions and accuracy benchmarks")
    group.addoption(
        "--mibench-suite",
        metavar="NAME",
        default=None,
        help=f"suite whose tasks, sample sizes, estimators and repetitions the mibench_* fixtures use "
        f"(default: {DEFAULT_SUITE}; `mibench list suites`)",
    )
    group.addoption(
        "--mibench-tasks",
        metavar="PATTERNS",
        default=None,
        help="only the suite's tasks matching these comma-separated ids or shell patterns",
    )
    group.addoption(
        "--mibench-estimators",
        metavar="NAMES",
        default=None,
        help="estimators for mibench_estimator: comma-separated registered names (plugins too), or 'all' "
        "(default: the suite's plus installed plugins)",
    )
    group.addoption(
        "--mibench-n",
        metavar="SIZES",
        type=_sizes,
        default=None,
        help="sample sizes for mibench_n, comma-separated (default: the suite's)",
    )
    group.addoption(
        "--mibench-seeds",
        metavar="N",
        type=_positive_int,
        default=None,
        help="seeds 0..N-1 per accuracy measurement (default: the suite's repetitions)",
    )
    group.addoption(
        "--mibench-baseline",
        metavar="PATH",
        default=None,
        help="pytest-benchmark JSON of an earlier run (--benchmark-json/--benchmark-autosave): mi_benchmark fails "
        "a test whose RMSE grew by more than max(margin, margin-rel x truth) over it",
    )
    group.addoption(
        "--mibench-accuracy-margin",
        metavar="NATS",
        type=_non_negative_float,
        default=DEFAULT_MARGIN_ABS,
        help=f"absolute part of the allowed RMSE growth against --mibench-baseline (default {DEFAULT_MARGIN_ABS} nats)",
    )
    group.addoption(
        "--mibench-accuracy-margin-rel",
        metavar="FRACTION",
        type=_non_negative_float,
        default=DEFAULT_MARGIN_REL,
        help=f"relative part, a fraction of the true MI (default {DEFAULT_MARGIN_REL})",
    )


@dataclass
class _Settings:
    """The session's options, with the suite and the baseline loaded on first use."""

    suite_name: str
    task_patterns: tuple[str, ...] | None
    estimator_names: tuple[str, ...] | None  # None: the suite's plus plugins; ("all",): every registered one
    sizes: tuple[int, ...] | None
    seeds: int | None
    baseline_path: Path | None
    margin_abs: float
    margin_rel: float
    _suite: Suite | None = field(default=None, repr=False)

    def suite(self) -> Suite:
        if self._suite is None:
            from mibench.errors import MIBenchError
            from mibench.suites import get_suite

            try:
                self._suite = get_suite(self.suite_name)
            except MIBenchError as exc:
                raise pytest.UsageError(f"--mibench-suite: {exc}") from None
        return self._suite

    def task_ids(self) -> list[str]:
        ids = list(self.suite().tasks)
        if self.task_patterns is None:
            return ids
        return [task_id for task_id in ids if any(fnmatch.fnmatchcase(task_id, p) for p in self.task_patterns)]

    def sample_sizes(self) -> list[int]:
        return list(self.sizes) if self.sizes is not None else list(self.suite().sample_sizes)

    def seed_list(self) -> list[int]:
        return list(range(self.seeds if self.seeds is not None else self.suite().repetitions))

    def estimator_specs(self) -> list[EstimatorSpec]:
        import mibench
        from mibench.errors import MIBenchError
        from mibench.estimators.registry import BUILTIN_ESTIMATORS
        from mibench.suites import EstimatorSpec

        suite_specs = {spec.name: spec for spec in self.suite().estimators}
        registered = mibench.list_estimators()
        if self.estimator_names is None:
            plugins = [EstimatorSpec(name) for name in registered if name not in BUILTIN_ESTIMATORS]
            return [*self.suite().estimators, *(spec for spec in plugins if spec.name not in suite_specs)]
        names = registered if self.estimator_names == ("all",) else self.estimator_names
        specs = []
        for name in names:
            if name not in suite_specs:
                try:
                    mibench.get_estimator(name)  # an unknown name is one clear error now, not one per test
                except MIBenchError as exc:
                    raise pytest.UsageError(f"--mibench-estimators: {exc}") from None
            specs.append(suite_specs.get(name, EstimatorSpec(name)))
        return specs


_SETTINGS = pytest.StashKey[_Settings]()
_BASELINE = pytest.StashKey["dict[str, Any] | None"]()


def _split(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())


def pytest_configure(config: pytest.Config) -> None:
    baseline = config.getoption("mibench_baseline", None)
    config.stash[_SETTINGS] = _Settings(
        suite_name=config.getoption("mibench_suite", None) or DEFAULT_SUITE,
        task_patterns=_split(config.getoption("mibench_tasks", None)),
        estimator_names=_split(config.getoption("mibench_estimators", None)),
        sizes=config.getoption("mibench_n", None),
        seeds=config.getoption("mibench_seeds", None),
        baseline_path=Path(baseline) if baseline else None,
        margin_abs=config.getoption("mibench_accuracy_margin", DEFAULT_MARGIN_ABS),
        margin_rel=config.getoption("mibench_accuracy_margin_rel", DEFAULT_MARGIN_REL),
    )
    config.stash[_BASELINE] = None
    settings = config.stash[_SETTINGS]
    # Options given explicitly are checked now, so a typo is one usage error rather than one per test; the
    # defaults are resolved only when a test asks for a fixture (sessions that use none import nothing).
    if config.getoption("mibench_suite", None):
        settings.suite()
    if settings.estimator_names is not None:
        settings.estimator_specs()
    if baseline:
        try:
            config.stash[_BASELINE] = load_baseline(baseline)
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"--mibench-baseline: {exc}") from None


def _settings(config: pytest.Config) -> _Settings:
    return config.stash[_SETTINGS]


# --------------------------------------------------------------------------------------------------------------
# Parametrisation and fixtures
# --------------------------------------------------------------------------------------------------------------


def _parametrised_by_the_test(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [part.strip() for part in argnames.split(",")]
        if name in argnames:
            return True
    return False


def _runs(spec: EstimatorSpec | None, task_id: str | None, n: int | None) -> bool:
    """Whether the suite runs ``spec`` on this task and size (a missing coordinate restricts nothing)."""
    if spec is None:
        return True
    if n is not None and spec.max_n is not None and n > spec.max_n:
        return False
    return task_id is None or spec.tasks is None or any(fnmatch.fnmatchcase(task_id, p) for p in spec.tasks)


def _spec_id(spec: EstimatorSpec) -> str:
    if not spec.params:
        return spec.name
    return spec.name + "(" + ",".join(f"{key}={value}" for key, value in sorted(spec.params.items())) + ")"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise the tests that ask for ``mibench_estimator``, ``mibench_task`` or ``mibench_n`` (and do not
    parametrise them themselves) over the suite's values; nothing else is touched."""
    wanted = [
        name
        for name in _PARAMETRISED
        if name in metafunc.fixturenames and not _parametrised_by_the_test(metafunc, name)
    ]
    if not wanted:
        return
    settings = _settings(metafunc.config)
    values: dict[str, Sequence[Any]] = {}
    for name in wanted:
        if name == "mibench_estimator":
            values[name] = settings.estimator_specs()
        elif name == "mibench_task":
            values[name] = settings.task_ids()
        else:
            values[name] = settings.sample_sizes()
    combos = []
    for combo in itertools.product(*(values[name] for name in wanted)):
        named = dict(zip(wanted, combo, strict=True))
        if _runs(named.get("mibench_estimator"), named.get("mibench_task"), named.get("mibench_n")):
            combos.append(combo)
    ids = []
    for combo in combos:
        parts = []
        for name, value in zip(wanted, combo, strict=True):
            parts.append(
                _spec_id(value) if name == "mibench_estimator" else f"n{value}" if name == "mibench_n" else value
            )
        ids.append("-".join(parts))
    if len(wanted) == 1:
        metafunc.parametrize(wanted[0], [combo[0] for combo in combos], indirect=True, ids=ids)
    else:
        metafunc.parametrize(wanted, combos, indirect=True, ids=ids)


def _param(request: pytest.FixtureRequest, name: str) -> Any:
    if not hasattr(request, "param"):
        raise pytest.UsageError(
            f"{name} has no value: it is parametrised by the mibench plugin for the tests that ask for it; "
            "parametrise it yourself (indirect) when another fixture needs it"
        )
    return request.param


@pytest.fixture(scope="session")
def mibench_suite(request: pytest.FixtureRequest) -> Suite:
    """The suite named by ``--mibench-suite`` (default ``smoke``)."""
    return _settings(request.config).suite()


@pytest.fixture
def mibench_task(request: pytest.FixtureRequest) -> Task:
    """One of the suite's tasks (the test is parametrised over them; ``--mibench-tasks`` filters)."""
    import mibench

    task_id = _param(request, "mibench_task")
    return task_id if not isinstance(task_id, str) else mibench.get_task(task_id)


@pytest.fixture
def mibench_n(request: pytest.FixtureRequest) -> int:
    """One of the suite's sample sizes (``--mibench-n`` to choose others)."""
    return int(_param(request, "mibench_n"))


@pytest.fixture
def mibench_estimator(request: pytest.FixtureRequest) -> EstimatorSpec:
    """An :class:`mibench.suites.EstimatorSpec` (name and hyperparameters) of the suite's estimators or
    ``--mibench-estimators``; skipped when it needs torch and torch is not installed."""
    from mibench.estimators.registry import get_estimator_class
    from mibench.suites import EstimatorSpec

    spec = EstimatorSpec.parse(_param(request, "mibench_estimator"))
    if getattr(get_estimator_class(spec.name).tags, "requires_torch", False) and not importlib.util.find_spec("torch"):
        pytest.skip(f"estimator {spec.name} needs torch, which is not installed")
    return spec


@pytest.fixture
def mibench_seeds(request: pytest.FixtureRequest) -> list[int]:
    """Seeds ``0 .. k-1``: ``k`` from ``--mibench-seeds``, or the suite's repetitions."""
    return _settings(request.config).seed_list()


# --------------------------------------------------------------------------------------------------------------
# Accuracy benchmarks
# --------------------------------------------------------------------------------------------------------------


def load_baseline(path: str | Path) -> dict[str, Any]:
    """The benchmarks of a pytest-benchmark JSON file: ``{"by_fullname": {...}, "by_name": {...}}`` of their
    ``extra_info`` dicts (``by_name`` holds only names that occur once).

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not a pytest-benchmark JSON file (no ``benchmarks`` list).
    """
    text = Path(path).read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON ({exc}); give a file written by --benchmark-json") from None
    benchmarks = data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(benchmarks, list):
        raise ValueError(f"{path} has no 'benchmarks' list; give a file written by --benchmark-json")
    by_fullname: dict[str, dict[str, Any]] = {}
    names: dict[str, list[dict[str, Any]]] = {}
    for entry in benchmarks:
        if not isinstance(entry, dict):
            continue
        info = entry.get("extra_info") or {}
        if "fullname" in entry:
            by_fullname[str(entry["fullname"])] = info
        if "name" in entry:
            names.setdefault(str(entry["name"]), []).append(info)
    by_name = {name: infos[0] for name, infos in names.items() if len(infos) == 1}
    return {"path": str(path), "by_fullname": by_fullname, "by_name": by_name}


#: What must agree between the baseline's record and the current one for their RMSEs to be comparable.
_COMPARABLE = ("task", "task_version", "n", "seeds", "truth_nats")


def accuracy_regression(
    current: Mapping[str, Any], baseline: Mapping[str, Any], margin_abs: float, margin_rel: float
) -> str | None:
    """Why ``current``'s accuracy regressed against ``baseline`` (``extra_info`` dicts as :class:`MIBenchmark`
    writes them), or None when it did not: ``RMSE_now > RMSE_baseline + max(margin_abs, margin_rel * |truth|)``,
    or a non-finite RMSE now against a finite one in the baseline."""
    truth = float(current["truth_nats"])
    margin = max(margin_abs, margin_rel * abs(truth))
    now, then = current.get("rmse_nats"), baseline.get("rmse_nats")
    now_f = math.nan if now is None else float(now)
    then_f = math.nan if then is None else float(then)
    if not math.isfinite(then_f):
        return None  # nothing finite to be worse than
    if math.isfinite(now_f) and now_f <= then_f + margin:
        return None

    def fmt(value: Any) -> str:
        return "non-finite" if value is None else f"{float(value):+.4g}"

    growth = f"+{now_f - then_f:.4g} nats > margin" if math.isfinite(now_f) else "non-finite now; margin"
    return (
        f"RMSE {now_f:.4g} nats now vs {then_f:.4g} nats in the baseline: {growth} {margin:.4g} nats = "
        f"max({margin_abs:g} nats, {margin_rel:g} x truth {truth:.4g} nats) "
        f"(--mibench-accuracy-margin, --mibench-accuracy-margin-rel). Now: bias {fmt(current.get('bias_nats'))}, "
        f"SD {fmt(current.get('sd_nats'))}; baseline: bias {fmt(baseline.get('bias_nats'))}, "
        f"SD {fmt(baseline.get('sd_nats'))} (estimator {baseline.get('estimator')} {baseline.get('params')} then, "
        f"{current.get('estimator')} {current.get('params')} now; task {current['task']}, n={current['n']}, "
        f"the same seeds {current['seeds']} and so the same samples)"
    )


class MIBenchmark:
    """The ``mi_benchmark`` fixture: ``mi_benchmark(estimator, task, n, seeds=None) -> SeedAccuracy``.

    1. Resolves ``estimator`` (an instance, a registry name, or an :class:`~mibench.suites.EstimatorSpec`) and
       ``task`` (a :class:`~mibench.interface.Task` or an id), and calls the estimator's ``prepare()`` if it has one
       (one-time set-up is not timed, as in the runner).
    2. Times ``estimate(x, y)`` on ``task.sample(n, seeds[0])`` with pytest-benchmark's ``benchmark`` fixture (its
       options apply: ``--benchmark-min-rounds``, ``--benchmark-disable``, ...).
    3. Outside the timed region, estimates on ``task.sample(n, seed)`` for every seed
       (:func:`mibench.testing.accuracy_over_seeds`) and puts the numbers in ``benchmark.extra_info``: estimator,
       params, task, task_version, truth_nats, truth_stderr_nats, n, seeds, estimates_nats, mean_nats,
       bias_nats, sd_nats, rmse_nats (all nats), and mibench_version.
    4. With ``--mibench-baseline``, compares with the baseline's record of the same benchmark (see the module
       docstring) and fails the test on an accuracy regression; ``baseline_rmse_nats`` and ``accuracy_margin_nats``
       (or ``baseline: "not compared: ..."``) go into ``extra_info`` first.

    ``seeds`` defaults to the session's (``--mibench-seeds`` or the suite's repetitions); a stochastic estimator
    whose ``seed`` is None gets one per sample (:func:`mibench.testing.for_sample`). The fixture can be called once
    per test, like ``benchmark``.
    """

    def __init__(self, benchmark: Any, settings: _Settings, baseline: dict[str, Any] | None, node: Any) -> None:
        self.benchmark = benchmark
        self._settings = settings
        self._baseline = baseline
        self._node = node

    def __call__(
        self, estimator: Any, task: Task | str, n: int, seeds: int | Iterable[int] | None = None
    ) -> SeedAccuracy:
        import mibench
        from mibench.testing import _estimator_and_name, _seed_list, _task, accuracy_over_seeds, for_sample

        resolved = _task(task)
        seed_list = _seed_list(self._settings.seed_list() if seeds is None else seeds)
        instance, _ = _estimator_and_name(estimator)
        timed = for_sample(instance, seed_list[0])
        prepare = getattr(timed, "prepare", None)
        if callable(prepare):
            prepare()
        x, y = resolved.sample(int(n), seed_list[0])
        self.benchmark(timed.estimate, x, y)
        accuracy = accuracy_over_seeds(estimator, resolved, n, seed_list)
        info = self.benchmark.extra_info
        info.update(accuracy.as_dict(), mibench_version=mibench.__version__)
        if self._baseline is not None:
            self._compare(info)
        return accuracy

    def _compare(self, info: dict[str, Any]) -> None:
        assert self._baseline is not None
        fullname = getattr(self.benchmark, "fullname", self._node.nodeid)
        name = getattr(self.benchmark, "name", self._node.name)
        base = self._baseline["by_fullname"].get(fullname, self._baseline["by_name"].get(name))
        where = self._baseline["path"]
        if base is None or "rmse_nats" not in base:
            info["baseline"] = f"not compared: no mibench accuracy record of {fullname} in {where}"
            return
        different = [key for key in _COMPARABLE if base.get(key) != info.get(key)]
        if different:
            why = ", ".join(f"{key} {base.get(key)!r} then, {info.get(key)!r} now" for key in different)
            info["baseline"] = f"not compared: {why}"
            warnings.warn(
                f"mibench: {fullname} is not compared with {where}: {why}", pytest.PytestWarning, stacklevel=2
            )
            return
        margin = max(self._settings.margin_abs, self._settings.margin_rel * abs(float(info["truth_nats"])))
        info.update(baseline=where, baseline_rmse_nats=base["rmse_nats"], accuracy_margin_nats=margin)
        reason = accuracy_regression(info, base, self._settings.margin_abs, self._settings.margin_rel)
        if reason is not None:
            pytest.fail(
                f"accuracy regressed against the baseline {where} (benchmark {fullname}): {reason}", pytrace=False
            )


@pytest.fixture
def mi_benchmark(benchmark: Any, request: pytest.FixtureRequest) -> MIBenchmark:
    """Time an estimator with pytest-benchmark and record bias, SD and RMSE over seeds in ``extra_info``; fail on
    an accuracy regression against ``--mibench-baseline``. See :class:`MIBenchmark`."""
    return MIBenchmark(benchmark, _settings(request.config), request.config.stash[_BASELINE], request.node)
