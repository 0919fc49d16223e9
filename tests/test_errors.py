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
