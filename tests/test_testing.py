"""The conformance kit (mibench.testing): it passes on every registered estimator, and each check catches the
deliberately broken estimators below with a helpful message."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import numpy as np
import pytest

import mibench
from mibench.estimators.gaussian import canonical_correlations
from mibench.interface import BaseEstimator, EstimatorTags, validate_sample
from mibench.testing import (
    CHECKS,
    NEAR_ZERO_C,
    check_bad_shapes_raise,
    check_column_permutation_invariance,
    check_deterministic_for_seed,
    check_discrete_input,
    check_does_not_mutate_input,
    check_estimator,
    check_gaussian_accuracy,
    check_nan_raises,
    check_near_zero_on_independent_data,
    check_params_round_trip,
    check_pickle_round_trip,
    check_returns_finite_float,
    check_row_permutation_invariance,
    check_tags_valid,
    check_too_few_samples_raise,
    estimator_checks,
    parametrize_with_checks,
)

CHECK_NAMES = [
    "tags_valid",
    "params_round_trip",
    "returns_finite_float",
    "deterministic_for_seed",
    "does_not_mutate_input",
    "row_permutation_invariance",
    "column_permutation_invariance",
    "near_zero_on_independent_data",
    "gaussian_accuracy",
    "bad_shapes_raise",
    "nan_raises",
    "too_few_samples_raise",
    "pickle_round_trip",
    "discrete_input",
]


# --------------------------------------------------------------------------------------------------------------
# Every registered estimator, check by check (estimators registered later are covered automatically)
# --------------------------------------------------------------------------------------------------------------


@parametrize_with_checks(mibench.list_estimators())
def test_registered_estimator_conforms(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", ["ksg", "ksg2", "gaussian"])
def test_whole_kit_passes_on_builtins_by_name(name):
    results = check_estimator(name)
    assert list(results) == CHECK_NAMES
    assert results["discrete_input"].startswith("skip: ")
    assert {k: v for k, v in results.items() if k != "discrete_input"} == dict.fromkeys(CHECK_NAMES[:-1], "pass")


# --------------------------------------------------------------------------------------------------------------
# Estimators for the tests: one well-behaved baseline and variants that break one rule each (module level, so
# that they pickle)
# --------------------------------------------------------------------------------------------------------------


def gaussian_mi(x, y):
    rho = canonical_correlations(x, y)
    return float(-0.5 * np.sum(np.log1p(-(rho**2))))


class Good(BaseEstimator):
    """The Gaussian MI, written by the rules."""

    tags = EstimatorTags(min_samples=8)

    def __init__(self, *, shrink: float = 0.0):
        self.shrink = shrink

    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
        return gaussian_mi(x, y) * (1.0 - self.shrink)


class ReturnsNaN(Good):
    def estimate(self, x, y):
        super().estimate(x, y)
        return float("nan")


class ReturnsArray(Good):
    def estimate(self, x, y):
        return np.array([super().estimate(x, y)])


class MutatesInput(Good):
    def estimate(self, x, y):
        x = np.asarray(x)
        x -= x.mean(axis=0)  # centres the caller's array in place
        return super().estimate(x, y)


class FailsOnReadOnly(Good):
    def estimate(self, x, y):
        np.asarray(x)[...] += 0.0  # changes no value, but writes
        return super().estimate(x, y)


class UnseededNoise(Good):
    """Tagged deterministic, but adds noise from an unseeded generator."""

    def estimate(self, x, y):
        return super().estimate(x, y) + np.random.default_rng().normal(0.0, 1e-3)


class StochasticWithoutSeed(UnseededNoise):
    tags = EstimatorTags(min_samples=8, stochastic=True)


class SeededSubsample(BaseEstimator):
    """A correct stochastic estimator: the Gaussian MI of a random 80 % of the rows, drawn from ``seed``."""

    tags = EstimatorTags(min_samples=8, stochastic=True)

    def __init__(self, *, seed: int | None = None):
        self.seed = seed

    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
        rows = np.random.default_rng(self.seed).permutation(x.shape[0])[: max(8, int(0.8 * x.shape[0]))]
        return gaussian_mi(x[rows], y[rows])


class GeneratorStoredAtInit(SeededSubsample):
    """Keeps one generator for its lifetime, so repeated calls with the same seed differ."""

    def __init__(self, *, seed: int | None = None):
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def estimate(self, x, y):
        return super().estimate(x, y) + self._rng.normal(0.0, 1e-3)


class SeededFirstHalf(SeededSubsample):
    """Stochastic, but systematically order-dependent: it looks only at the first half of the rows."""

    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
        half = x.shape[0] // 2
        return gaussian_mi(x[:half], y[:half]) + np.random.default_rng(self.seed).normal(0.0, 1e-4)


class FirstRowsOnly(Good):
    def estimate(self, x, y):
        x, y = validate_sample(x, y)
        return gaussian_mi(x[:100], y[:100])


class FirstColumnOnly(Good):
    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
        return gaussian_mi(x[:, :1], y[:, :1])


class FirstColumnOnlyDeclared(FirstColumnOnly):
    tags = EstimatorTags(
        min_samples=8,
        expected_failures=(
            ("column_permutation_invariance", "reads only the first columns"),
            ("gaussian_accuracy", "sees one pair of two, so half the MI"),
        ),
    )


class DeclaredButAlsoMutates(FirstColumnOnlyDeclared):
    def estimate(self, x, y):
        x = np.asarray(x)
        x *= 2.0
        return super().estimate(x, y)


class DeclaresACheckItPasses(Good):
    tags = EstimatorTags(min_samples=8, expected_failures=(("nan_raises", "we thought NaN slipped through"),))


class PointThreeTooHigh(Good):
    def estimate(self, x, y):
        return super().estimate(x, y) + 0.3


class RenamedParam(Good):
    def __init__(self, *, k: int = 3):
        self.n_neighbours = k

    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples)
        return gaussian_mi(x, y)


class NotVerbatim(Good):
    def __init__(self, *, bins: int | None = None):
        self.bins = bins if bins is not None else 10


class TakesKwargs(Good):
    def __init__(self, **options):
        self.options = options


class TypeErrorOnNaN(Good):
    def estimate(self, x, y):
        if np.isnan(np.asarray(x, dtype=float)).any() or np.isnan(np.asarray(y, dtype=float)).any():
            raise TypeError("NaN is not a number")
        return super().estimate(x, y)


class TruncatesRows(Good):
    """Silently drops the extra rows of the longer array and flattens 3-D input."""

    def estimate(self, x, y):
        x, y = np.asarray(x), np.asarray(y)
        n = min(len(x), len(y))
        return super().estimate(x[:n].reshape(n, -1), y[:n].reshape(n, -1))


class ZeroForTinySamples(Good):
    def estimate(self, x, y):
        if len(x) < 2:
            return 0.0
        return super().estimate(x, y)


class Unpicklable(Good):
    def __init__(self, *, shrink: float = 0.0):
        self.shrink = shrink
        self._transform = lambda v: v  # lambdas do not pickle


class BadTags(Good):
    tags = EstimatorTags(min_samples=1, expected_failures=(("nan_raise", "typo in the check name"),))


class ContextNotAHyperparameter(Good):
    """Declares that a task may set ``edges``, which its ``__init__`` does not take."""

    tags = EstimatorTags(min_samples=8, task_context=("shrink", "edges"))


class ContextFromTask(Good):
    tags = EstimatorTags(min_samples=8, task_context=("shrink",))


class DiscretePlugIn(BaseEstimator):
    """Plug-in MI of integer data (histogram of the joint values); on continuous data every point is its own
    bin, so it reports about log(n) whatever the dependence, and says so in its expected failures."""

    tags = EstimatorTags(
        accepts_discrete=True,
        min_samples=2,
        expected_failures=(
            ("near_zero_on_independent_data", "plug-in counts on continuous data give log(n)"),
            ("gaussian_accuracy", "plug-in counts on continuous data give log(n)"),
        ),
    )

    def __init__(self):
        pass

    def estimate(self, x, y):
        x, y = validate_sample(x, y, min_samples=self.tags.min_samples, allow_integer=True)
        _, xi = np.unique(x, axis=0, return_inverse=True)
        _, yi = np.unique(y, axis=0, return_inverse=True)
        joint = np.zeros((xi.max() + 1, yi.max() + 1))
        np.add.at(joint, (xi.ravel(), yi.ravel()), 1.0)
        p = joint / joint.sum()
        px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
        nz = p > 0
        return float(np.sum(p[nz] * np.log(p[nz] / (px @ py)[nz])))


class DiscreteButNaN(DiscretePlugIn):
    def estimate(self, x, y):
        x = np.asarray(x)
        return float("nan") if np.issubdtype(x.dtype, np.integer) else super().estimate(x, y)


class OneDimensional(Good):
    tags = EstimatorTags(min_samples=8, max_dim=2)


class NoInit(BaseEstimator):
    """No hyperparameters and no __init__ at all (inherits object.__init__)."""

    tags = EstimatorTags(min_samples=8)

    def estimate(self, x, y):
        return gaussian_mi(*validate_sample(x, y, min_samples=self.tags.min_samples))


class Crashes(Good):
    def estimate(self, x, y):
        raise RuntimeError("boom")


# --------------------------------------------------------------------------------------------------------------
# Each check catches its broken estimator, with a message that says what is wrong
# --------------------------------------------------------------------------------------------------------------


BROKEN = [
    (check_returns_finite_float, ReturnsNaN(), r"returned nan .* must be finite"),
    (check_returns_finite_float, ReturnsArray(), r"type ndarray; it must return a float"),
    (check_does_not_mutate_input, MutatesInput(), r"modified its input x in place \(\d+ changed entries\)"),
    (check_does_not_mutate_input, FailsOnReadOnly(), r"fails on read-only input arrays.*read-only"),
    (check_deterministic_for_seed, UnseededNoise(), r"gave .* and .*must not use global random state"),
    (check_deterministic_for_seed, StochasticWithoutSeed(), r"stochastic=True but takes no 'seed'"),
    (check_deterministic_for_seed, GeneratorStoredAtInit(), r"seed=0: two calls of estimate on the same inst"),
    (check_row_permutation_invariance, FirstRowsOnly(), r"not invariant to permuting the rows"),
    (check_row_permutation_invariance, SeededFirstHalf(), r"\(stochastic\) is not invariant to permuting the"),
    (check_column_permutation_invariance, FirstColumnOnly(), r"not invariant to reversing the order of the col"),
    (check_near_zero_on_independent_data, PointThreeTooHigh(), r"nats on independent Gaussian.*0\.112 nats"),
    (check_gaussian_accuracy, PointThreeTooHigh(), r"on gaussian-pairs-2x2-mi1 .*\+-0\.25 nats"),
    (check_params_round_trip, RenamedParam(), r"takes 'k' but does not store it as self\.k"),
    (check_params_round_trip, NotVerbatim(), r"stores bins=10 but the default is None.*verbatim"),
    (check_params_round_trip, TakesKwargs(), r"takes \*\*options; hyperparameters must be explicit keyword"),
    (check_nan_raises, TypeErrorOnNaN(), r"raised TypeError instead of ValueError on x containing NaN"),
    (check_bad_shapes_raise, TruncatesRows(), r"accepted x with 500 rows and y with 499 rows and returned"),
    (check_too_few_samples_raise, ZeroForTinySamples(), r"accepted a single sample \(n=1\) and returned 0.0"),
    (check_pickle_round_trip, Unpicklable(), r"cannot be pickled and restored: .*lambda"),
    (check_tags_valid, BadTags(), r"unknown check 'nan_raise' \(did you mean 'nan_raises'"),
    (check_tags_valid, BadTags(), r"min_samples must be an integer >= 2, got 1 \(MI needs at least two"),
    (check_tags_valid, ContextNotAHyperparameter(), r"task_context names 'edges', which __init__ does not take"),
    (check_discrete_input, DiscreteButNaN(), r"accepts_discrete=True but returned nan on integer data"),
]


@pytest.mark.parametrize(
    ("check", "estimator", "message"),
    [pytest.param(*case, id=f"{case[0].__name__}-{type(case[1]).__name__}") for case in BROKEN],
)
def test_check_catches_broken_estimator(check, estimator, message):
    with pytest.raises(AssertionError, match=message) as info:
        check(estimator)
    assert type(estimator).__name__ in str(info.value)  # the message names the estimator


def test_near_zero_bound_catches_a_third_of_a_nat():
    assert NEAR_ZERO_C / math.sqrt(2000) < 0.3 / 2  # with a factor 2 to spare


@pytest.mark.parametrize(
    "estimator", [Good(), Good(shrink=0.05), SeededSubsample(), SeededSubsample(seed=3), NoInit()], ids=repr
)
def test_correct_estimators_pass_every_check(estimator):
    results = check_estimator(estimator)
    assert all(status == "pass" or status.startswith("skip: ") for status in results.values()), results


def test_discrete_estimator_runs_discrete_input_and_declares_the_rest():
    results = check_estimator(DiscretePlugIn())
    assert results["discrete_input"] == "pass"
    assert results["near_zero_on_independent_data"].startswith("xfail: plug-in counts")
    assert sum(status == "pass" for status in results.values()) == len(CHECKS) - 2


def test_stochastic_estimator_is_seeded_by_the_checks():
    # seed=None: the kit clones it with a seed wherever values are compared
    check_deterministic_for_seed(SeededSubsample())
    check_pickle_round_trip(SeededSubsample())


def test_crashing_estimator_reports_its_own_error():
    with pytest.raises(RuntimeError, match="boom"):
        check_returns_finite_float(Crashes())
    results = check_estimator(Crashes(), raise_on_failure=False)
    assert results["returns_finite_float"] == "fail: RuntimeError: boom"
    assert results["tags_valid"] == results["params_round_trip"] == "pass"


# --------------------------------------------------------------------------------------------------------------
# check_estimator: aggregation, expected failures, names
# --------------------------------------------------------------------------------------------------------------


def test_check_estimator_raises_one_error_listing_every_failure():
    with pytest.raises(AssertionError) as info:
        check_estimator(PointThreeTooHigh())
    text = str(info.value)
    assert text.startswith("PointThreeTooHigh(shrink=0.0) failed 2 of 13 conformance checks")
    assert "- near_zero_on_independent_data: " in text and "- gaussian_accuracy: " in text
    assert "nan_raises" not in text


def test_check_estimator_can_return_instead_of_raising():
    results = check_estimator(RenamedParam(), raise_on_failure=False)
    assert results["params_round_trip"].startswith("fail: ")
    assert "does not store it as self.k" in results["params_round_trip"]
    assert results["returns_finite_float"] == "pass"


def test_expected_failure_is_xfail_and_does_not_raise():
    results = check_estimator(FirstColumnOnlyDeclared())
    assert results["column_permutation_invariance"] == "xfail: reads only the first columns"
    assert results["row_permutation_invariance"] == "pass"


def test_expected_failure_that_passes_is_xpass_and_does_not_raise():
    results = check_estimator(DeclaresACheckItPasses())
    assert results["nan_raises"] == "xpass: we thought NaN slipped through"


def test_undeclared_failure_still_fails_beside_declared_ones():
    results = check_estimator(DeclaredButAlsoMutates(), raise_on_failure=False)
    assert results["column_permutation_invariance"].startswith("xfail: ")
    assert results["does_not_mutate_input"].startswith("fail: ")
    with pytest.raises(AssertionError, match=r"failed 1 of 13 .*\n- does_not_mutate_input: .*in place"):
        check_estimator(DeclaredButAlsoMutates())


def test_task_context_naming_hyperparameters_is_valid():
    check_tags_valid(ContextFromTask())


def test_unknown_expected_failure_name_is_reported_by_tags_valid():
    results = check_estimator(BadTags(), raise_on_failure=False)
    assert results["tags_valid"].startswith("fail: ") and "'nan_raise'" in results["tags_valid"]


def test_check_names_are_stable():
    assert list(CHECKS) == CHECK_NAMES
    assert all(CHECKS[name].__name__ == f"check_{name}" for name in CHECK_NAMES)


def test_estimator_checks_yields_applicable_checks_bound_to_the_estimator():
    names = [name for name, _ in estimator_checks(Good())]
    assert names == [n for n in CHECK_NAMES if n != "discrete_input"]
    assert [name for name, _ in estimator_checks(DiscretePlugIn())] == CHECK_NAMES
    assert "column_permutation_invariance" not in dict(estimator_checks(OneDimensional()))
    assert "column_permutation_invariance" in dict(estimator_checks(FirstColumnOnlyDeclared()))  # xfail, still run
    bound = dict(estimator_checks(ReturnsNaN()))
    bound["tags_valid"]()
    with pytest.raises(AssertionError, match="must be finite"):
        bound["returns_finite_float"]()


def test_small_max_dim_uses_one_dimensional_tasks():
    results = check_estimator(OneDimensional())
    assert results["column_permutation_invariance"].startswith("skip: not applicable: tags.max_dim=2")
    assert results["gaussian_accuracy"] == "pass"


def test_registry_names_and_classes():
    assert dict(estimator_checks("gaussian")).keys() == dict(estimator_checks(Good())).keys()
    with pytest.raises(TypeError, match="pass an instance"):
        check_estimator(Good)
    with pytest.raises(ValueError, match="unknown estimator"):
        check_estimator("no-such-estimator")


# --------------------------------------------------------------------------------------------------------------
# parametrize_with_checks
# --------------------------------------------------------------------------------------------------------------


def test_parametrize_with_checks_ids_and_marks():
    decorator = parametrize_with_checks([FirstColumnOnlyDeclared(), "gaussian"])
    argnames, params = decorator.mark.args
    assert argnames == "estimator, check"
    ids = [p.id for p in params]
    assert ids[0] == "FirstColumnOnlyDeclared(shrink=0.0)-tags_valid"
    assert "GaussianMI()-nan_raises" in ids
    assert not any(i.endswith("-discrete_input") for i in ids)
    by_id = {p.id: p for p in params}
    xfail = by_id["FirstColumnOnlyDeclared(shrink=0.0)-column_permutation_invariance"]
    (mark,) = xfail.marks
    assert mark.name == "xfail" and mark.kwargs == {"reason": "reads only the first columns", "strict": False}
    assert not by_id["FirstColumnOnlyDeclared(shrink=0.0)-row_permutation_invariance"].marks
    estimator, check = by_id["GaussianMI()-nan_raises"].values
    assert type(estimator).__name__ == "GaussianMI" and check is CHECKS["nan_raises"]


@parametrize_with_checks([FirstColumnOnlyDeclared(), DeclaresACheckItPasses()])
def test_parametrize_with_checks_runs_declared_failures_as_xfail(estimator, check):
    check(estimator)  # column_permutation_invariance shows as XFAIL, nan_raises of the second as XPASS


def test_importing_the_kit_does_not_import_pytest():
    code = "import sys, mibench.testing; assert 'pytest' not in sys.modules, 'pytest imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_estimators_of_this_module_pickle():
    assert pickle.loads(pickle.dumps(Good(shrink=0.1))) == Good(shrink=0.1)


def test_all_lists_exactly_the_public_names():
    """``mibench.testing.__all__`` is its public API: every name it defines without a leading underscore."""
    import inspect

    import mibench.testing as testing

    defined_here = {
        name
        for name, value in vars(testing).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", testing.__name__) == testing.__name__
    }
    assert sorted(testing.__all__) == sorted(defined_here)


# --------------------------------------------------------------------------------------------------------------
# Accuracy over seeds (assert_mi_close); the pytest plugin's tests run it inside pytest sessions too
# --------------------------------------------------------------------------------------------------------------


def test_accuracy_over_seeds_follows_the_scoring_definitions():
    from mibench.testing import accuracy_over_seeds

    task = mibench.get_task("gaussian-pairs-1x1-rho0.75")
    result = accuracy_over_seeds(Good(), task, 300, [4, 9, 2])
    values = np.array([Good().estimate(*task.sample(300, seed)) for seed in (4, 9, 2)])
    assert result.estimates == tuple(values) and result.seeds == (4, 9, 2)
    assert result.bias == pytest.approx(values.mean() - task.mi, abs=1e-15)
    assert result.sd == pytest.approx(values.std(ddof=1), rel=1e-12)
    assert result.rmse == pytest.approx(math.sqrt(np.mean((values - task.mi) ** 2)), rel=1e-12)
    info = result.as_dict()
    assert info["estimator"] == f"{__name__}:Good" and info["params"] == {"shrink": 0.0}
    assert (info["task"], info["n"], info["seeds"], info["truth_nats"]) == (task.id, 300, [4, 9, 2], task.mi)
    assert accuracy_over_seeds("gaussian", task.id, 300, 2).estimator == "gaussian"


def test_assert_mi_close_tolerance_is_tol_plus_rtol_plus_a_t_allowance():
    from scipy import stats

    from mibench.testing import accuracy_over_seeds, assert_mi_close, mi_close_tolerance

    task = mibench.get_task("gaussian-pairs-2x2-mi1")
    result = accuracy_over_seeds(Good(shrink=0.2), task, 500, 4)
    allowed, how = mi_close_tolerance(result, tol=0.01, rtol=0.02, alpha=0.05)
    assert allowed == pytest.approx(0.01 + 0.02 * task.mi + stats.t.ppf(0.975, 3) * result.sd / 2, rel=1e-12)
    assert "t(0.975, 3 df)" in how
    # passes exactly when |bias| <= allowed: just above and just below the measured bias
    distance = abs(result.bias) - stats.t.ppf(0.975, 3) * result.sd / 2
    assert distance > 0  # a shrinkage of 20 % is detectable here without a tolerance
    assert_mi_close(Good(shrink=0.2), task, 500, 4, tol=distance * 1.001, alpha=0.05)
    with pytest.raises(AssertionError, match=r"mean estimate .* nats vs truth 1 nats: .*> tolerance"):
        assert_mi_close(Good(shrink=0.2), task, 500, 4, tol=distance * 0.999, alpha=0.05)


def test_assert_mi_close_allows_for_a_monte_carlo_truths_stderr():
    from mibench.testing import accuracy_over_seeds, mi_close_tolerance

    task = next(task for task in mibench.list_tasks(truth="monte carlo") if task.mi_stderr > 0)
    result = accuracy_over_seeds("gaussian", task, 200, 3)
    allowed, _ = mi_close_tolerance(result)
    from scipy import stats

    se = math.sqrt(result.sd**2 / 3 + task.mi_stderr**2)
    assert allowed == pytest.approx(stats.t.ppf(0.995, 2) * se, rel=1e-12)
    one_seed = accuracy_over_seeds("gaussian", task, 200, [0])
    assert mi_close_tolerance(one_seed)[0] == pytest.approx(stats.norm.ppf(0.995) * task.mi_stderr, rel=1e-12)


def test_assert_mi_close_refuses_what_cannot_be_tested():
    from mibench.testing import assert_mi_close

    with pytest.raises(ValueError, match="one seed and tol = rtol = 0 allows no error"):
        assert_mi_close(Good(), "gaussian-pairs-1x1-mi1", 100, seeds=[3])
    assert_mi_close(Good(), "gaussian-pairs-1x1-mi1", 2000, seeds=[3], tol=0.2)
    for bad, message in (
        ({"seeds": [1, 1]}, "seeds must be distinct"),
        ({"seeds": []}, "at least one seed"),
        ({"seeds": 0}, "seeds must be an integer >= 1"),
        ({"tol": -0.1}, "tol must be a finite number"),
        ({"alpha": 1.0}, "alpha must be a finite number in \\(0, 1\\)"),
    ):
        with pytest.raises(ValueError, match=message):
            assert_mi_close(Good(), "gaussian-pairs-1x1-mi1", 100, **{"seeds": 3, **bad})


def test_a_stochastic_estimator_gets_a_seed_per_sample_apart_from_the_samples():
    from mibench.testing import accuracy_over_seeds, estimator_seed, for_sample

    assert for_sample(SeededSubsample(), 5).seed == estimator_seed(5) != 5
    assert for_sample(SeededSubsample(seed=11), 5).seed == 11  # a seed the user chose is kept
    assert for_sample(Good(), 5) == Good()
    assert len({estimator_seed(seed) for seed in range(100)}) == 100
    first = accuracy_over_seeds(SeededSubsample(), "gaussian-pairs-1x1-mi1", 200, 3)
    assert accuracy_over_seeds(SeededSubsample(), "gaussian-pairs-1x1-mi1", 200, 3) == first
