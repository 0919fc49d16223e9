"""Suites from TOML files: the format, pattern expansion, and one clear error per mistake."""

from __future__ import annotations

import pytest

import mibench
from mibench.errors import SuiteFileError
from mibench.suite_files import load_suite_file, resolve_suite
from mibench.suites import EstimatorSpec, Suite, get_suite, list_suites

GOOD = """
name = "my-gaussians"
description = "Gaussian pairs at MI 1"
tasks = ["gaussian-pairs-*x*-mi1", "student-identity-2x2-nu1", "gaussian-pairs-3x2-mi1.5"]
sample_sizes = [300, 1000]
repetitions = 4
timeout = 120

[[estimators]]
name = "ksg"
params = { k = 5 }

[[estimators]]
name = "kde"
max_n = 300
tasks = ["gaussian-*"]
"""


def _file(tmp_path, text, name="suite.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_suite_file_defines_a_suite(tmp_path):
    from mibench.synthetic import list_tasks

    suite = load_suite_file(_file(tmp_path, GOOD))
    matching = [t.id for t in list_tasks(pattern="gaussian-pairs-*x*-mi1")]
    assert suite.name == "my-gaussians" and suite.description == "Gaussian pairs at MI 1"
    assert suite.tasks == (*matching, "student-identity-2x2-nu1", "gaussian-pairs-3x2-mi1.5") and len(matching) > 3
    assert suite.estimators == (EstimatorSpec("ksg", {"k": 5}), EstimatorSpec("kde", {}, 300, ("gaussian-*",)))
    assert suite.sample_sizes == (300, 1000) and suite.repetitions == 4 and suite.timeout == 120.0
    assert resolve_suite(tmp_path / "suite.toml") == suite == resolve_suite(str(tmp_path / "suite.toml"))
    assert mibench.get_suite(tmp_path / "suite.toml") == suite and resolve_suite(suite) is suite
    assert resolve_suite("smoke") == get_suite("smoke")
    assert Suite.from_dict(suite.to_dict()) == suite


def test_defaults_and_the_short_estimator_form(tmp_path):
    text = (
        'name = "s"\ntasks = ["gaussian-pairs-1x1-mi1"]\nestimators = ["ksg"]\nsample_sizes = [100]\nrepetitions = 1\n'
    )
    suite = load_suite_file(_file(tmp_path, text))
    assert suite.timeout == 600.0 and suite.estimators == (EstimatorSpec("ksg"),) and suite.description == ""
    assert load_suite_file(_file(tmp_path, text + 'timeout = "none"\n', "b.toml")).timeout is None


def test_every_builtin_suite_round_trips_through_its_data():
    for suite in list_suites():
        assert Suite.from_dict(suite.to_dict()) == suite


BASE = 'name = "s"\ntasks = ["gaussian-pairs-1x1-mi1"]\nestimators = ["ksg"]\nsample_sizes = [100]\nrepetitions = 2\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not a valid TOML suite file"),
        (BASE + "seeds = 3\n", r"unknown suite key\(s\) seeds; valid keys: name, description"),
        (BASE.replace('name = "s"', 'name = "smoke"'), "'smoke' is a built-in suite"),
        (BASE.replace('name = "s"', 'name = "my suite"'), "may hold only letters"),
        (BASE.replace('"ksg"', '"kgs"'), r"unknown estimator 'kgs'\. Did you mean: ksg"),
        (BASE.replace('["ksg"]', '[{ name = "ksg", params = { kk = 3 } }]'), r"no hyperparameter\(s\) 'kk'"),
        (BASE.replace('["ksg"]', '[{ name = "ksg", every = 3 }]'), r"unknown estimator key\(s\) every"),
        (BASE.replace("gaussian-pairs-1x1-mi1", "gaussian-pears-1x1-mi1"), "unknown task"),
        (BASE.replace("gaussian-pairs-1x1-mi1", "nothing-*"), "task pattern 'nothing-\\*' matches no catalogue task"),
        (BASE.replace("[100]", "[100.5]"), "sample_sizes must be integers"),
        (BASE.replace("[100]", "[0]"), "sample sizes must be positive"),
        (BASE.replace("repetitions = 2", "repetitions = 0"), "repetitions must be >= 1"),
        (BASE.replace('tasks = ["gaussian-pairs-1x1-mi1"]\n', ""), r"needs the key\(s\) tasks"),
        (BASE + "timeout = -1\n", "timeout must be positive"),
    ],
)
def test_each_mistake_is_one_error_naming_the_file(tmp_path, text, message):
    path = _file(tmp_path, text)
    with pytest.raises(SuiteFileError, match=message) as raised:
        load_suite_file(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_a_file_that_is_not_text_or_missing(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(SuiteFileError, match=r"binary\.toml: not a TOML suite file"):
        load_suite_file(path)
    with pytest.raises(FileNotFoundError):
        load_suite_file(tmp_path / "missing.toml")
