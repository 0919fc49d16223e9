"""mibench's own errors: every user mistake is a MIBenchError (one ``error:`` line and exit 2 on the CLI), and the
ones about bad input are ValueErrors as well."""

from __future__ import annotations

import pytest

from mibench import errors, runner
from mibench.errors import (
    DataFileError,
    DuplicateNameError,
    InvalidOptionError,
    MIBenchError,
    NoResultsError,
    ResultsFileError,
    StoreError,
    UnknownNameError,
    WorkerPoolError,
)
from mibench.resolver import MissingRecordError


@pytest.mark.parametrize(
    "cls",
    [
        DataFileError,
        DuplicateNameError,
        InvalidOptionError,
        NoResultsError,
        ResultsFileError,
        StoreError,
        UnknownNameError,
        WorkerPoolError,
    ],
)
def test_every_error_is_a_mibench_error(cls):
    assert issubclass(cls, MIBenchError) and cls.__name__ in errors.__all__


@pytest.mark.parametrize(
    "cls", [DataFileError, InvalidOptionError, ResultsFileError, UnknownNameError, MissingRecordError]
)
def test_bad_input_errors_are_value_errors_too(cls):
    assert issubclass(cls, MIBenchError) and issubclass(cls, ValueError)


def test_store_error_keeps_its_old_import_paths():
    from mibench.runner.store import StoreError as from_store

    assert from_store is StoreError is runner.StoreError


def test_unknown_name_suggests_close_matches():
    error = UnknownNameError("estimator", "ksgg", ["ksg", "kde", "gaussian"])
    assert "unknown estimator 'ksgg'" in str(error) and "Did you mean: ksg" in str(error)
    assert error.available == ["gaussian", "kde", "ksg"]
    assert "(none)" in str(UnknownNameError("suite", "x", []))


def test_run_option_errors_are_invalid_option_errors(tmp_path):
    for options in ({"jobs": 0}, {"timeout": 0.0}, {"timeout": "forever"}, {"executor": "cluster"}):
        with pytest.raises(InvalidOptionError):
            runner.run_suite("smoke", store=tmp_path / "s.sqlite", progress=False, **options)
    assert not (tmp_path / "s.sqlite").exists()


def test_no_results_is_its_own_error(tmp_path):
    runner.ResultsStore(tmp_path / "empty.sqlite").close()
    with pytest.raises(NoResultsError, match="has no results"):
        runner.load_results(tmp_path / "empty.sqlite")
    with pytest.raises(StoreError, match="no results store"):
        runner.load_results(tmp_path / "missing.sqlite")
    with pytest.raises(InvalidOptionError, match=r"unsupported export format '\.parquet'"):
        runner.export_results(tmp_path / "x.parquet", tmp_path / "empty.sqlite")


@pytest.mark.parametrize(
    ("kind", "plural"),
    [
        ("estimator", "estimators"),
        ("task family", "task families"),
        ("truth kind", "truth kinds"),
        ("network task", "network tasks"),
        ("suite", "suites"),
        ("key", "keys"),  # a vowel before the y: just an s
        ("index", "indexes"),
    ],
)
def test_unknown_name_lists_the_available_ones_under_a_correct_plural(kind, plural):
    assert f"Available {plural}: a, b" in str(UnknownNameError(kind, "c", ["b", "a"]))


def test_an_unknown_task_family_is_listed_as_families():
    import mibench

    with pytest.raises(UnknownNameError, match="Available task families: ") as raised:
        mibench.list_tasks(family="no-such-family")
    assert "familys" not in str(raised.value)


@pytest.mark.parametrize("name", [None, 3, 2.5, ["ksg"]])
def test_a_name_that_is_not_a_string_says_so_and_lists_the_names(name):
    error = UnknownNameError("estimator", name, ["ksg", "kde"])
    assert f"estimator names are strings, got {name!r} of type {type(name).__name__}" in str(error)
    assert "Available estimators: kde, ksg" in str(error) and error.name is name


@pytest.mark.parametrize("name", [None, 3, ("gaussian-pairs-1x1-rho0.75",)])
@pytest.mark.parametrize(
    ("getter", "kind"), [("get_task", "task"), ("get_suite", "suite"), ("get_estimator", "estimator")]
)
def test_every_lookup_by_name_refuses_a_name_that_is_not_a_string_with_the_same_error(getter, kind, name):
    # Found by use: mibench.get_task(None) was a TypeError from a regular expression.
    import mibench

    with pytest.raises(UnknownNameError, match=rf"^{kind} names are strings, got .* Available {kind}s: "):
        getattr(mibench, getter)(name)
