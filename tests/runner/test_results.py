"""Reading results back: a store's rows (or one suite's), run environments, exports."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mibench.errors import InvalidOptionError, NoResultsError, StoreError, UnknownNameError
from mibench.runner import ResultsStore, run_suite
from mibench.runner.environment import describe_environment
from mibench.runner.results import export_results, load_results, run_environments, run_ids
from mibench.runner.schema import RESULT_COLUMNS
from tests.rows import result_row


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("results") / "s.sqlite"
    run_suite("smoke", store=path, estimators=["gaussian"], tasks=["*1x1*"], executor="inline", progress=False)
    with ResultsStore(path) as results:  # a row that belongs to no suite, from a run without an environment
        run_id = results.start_run("other", {}, 1, 1, "0")
        results.record(result_row(key="other-row", run_id=run_id))
    return path


def test_load_results_of_the_store_or_of_one_suite(store):
    everything = load_results(store)
    smoke = load_results(store, "smoke")
    assert list(everything.columns) == list(RESULT_COLUMNS) and len(everything) == 7
    assert len(smoke) == 6 and "other-row" not in set(smoke["key"])
    with pytest.raises(NoResultsError, match=r"has no results for suite 'bmi'"):
        load_results(store, "bmi")
    with pytest.raises(UnknownNameError, match="unknown suite"):
        load_results(store, "smok")


def test_load_results_needs_an_existing_store(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        load_results(tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()


def test_run_environments_and_run_ids(store):
    frame = load_results(store, "smoke")
    (smoke_run,) = run_ids(frame)
    environments = run_environments(store)
    assert len(environments) == 2 and environments[smoke_run].usable_cores == describe_environment().usable_cores
    assert [env for env in environments.values() if env is None] == [None]
    assert run_environments(store, [smoke_run]).keys() == {smoke_run}


def test_export_results(store, tmp_path):
    assert export_results(tmp_path / "rows.csv", store, "smoke") == 6
    assert list(pd.read_csv(tmp_path / "rows.csv").columns) == list(RESULT_COLUMNS)
    assert export_results(tmp_path / "rows.JSON", store) == 7
    assert len(json.loads((tmp_path / "rows.JSON").read_text())) == 7
    with pytest.raises(InvalidOptionError, match=r"use \.csv or \.json"):
        export_results(tmp_path / "rows.xlsx", store)
    assert not (tmp_path / "rows.xlsx").exists()


def test_a_suites_rows_include_estimators_added_to_it(tmp_path):
    """`report --suite smoke` used to drop the rows of an estimator added to smoke with --estimators."""
    path = tmp_path / "s.sqlite"
    toy = "tests.runner.toys:IgnoresContext"
    run_suite("smoke", store=path, estimators=["gaussian"], executor="inline", progress=False)
    run_suite("smoke", store=path, estimators=[toy], tasks=["*1x1*"], executor="inline", progress=False)
    smoke = load_results(path, "smoke")
    assert sorted(smoke["estimator"].value_counts().items()) == [("gaussian", 12), (toy, 6)]


def test_any_suite_recorded_in_the_store_is_selected_by_name(tmp_path):
    suite_file = tmp_path / "mine.toml"
    suite_file.write_text(
        'name = "my-suite"\ntasks = ["gaussian-pairs-2x2-mi1"]\nestimators = ["gaussian"]\n'
        "sample_sizes = [1000]\nrepetitions = 3\n"
    )
    path = tmp_path / "s.sqlite"
    run_suite(suite_file, store=path, executor="inline", progress=False)
    mine = load_results(path, "my-suite")
    assert len(mine) == 3 and set(mine["n"]) == {1000}
    assert load_results(path, str(suite_file)).equals(mine)  # or named by its file
    # smoke never ran, but these are smoke's jobs too (same task, estimator, parameters, n and seeds)
    assert load_results(path, "smoke")["key"].tolist() == mine["key"].tolist()
    with pytest.raises(UnknownNameError, match=r"unknown suite 'my-suit'.*my-suite"):
        load_results(path, "my-suit")
