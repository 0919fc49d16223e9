"""The helpers every mibench command shares: user errors, list options, --store and tables."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mibench.cli_support import USER_ERROR_EXIT, split_list, store_option, table, user_error_message, user_errors
from mibench.errors import InvalidOptionError, MIBenchError, NoResultsError, StoreError, UnknownNameError


def _raising(exc: BaseException) -> click.Command:
    @click.command()
    def command() -> None:
        with user_errors():
            raise exc
        click.echo("not reached")

    return command


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (MIBenchError("plain mibench error"), "error: plain mibench error"),
        (StoreError("no results store at x.sqlite"), "error: no results store at x.sqlite"),
        (NoResultsError("nothing for suite 'smoke'"), "error: nothing for suite 'smoke'"),
        (InvalidOptionError("jobs must be >= 1"), "error: jobs must be >= 1"),
        (UnknownNameError("suite", "smok", ["smoke"]), "error: unknown suite 'smok'. Did you mean: smoke?"),
        (ValueError("too few samples: got n=3"), "error: too few samples: got n=3"),
        (ValueError("first line\nsecond line"), "error: first line second line"),
        (FileNotFoundError(2, "No such file or directory", "/x.csv"), "error: No such file or directory: /x.csv"),
        (PermissionError(13, "Permission denied", "/root/out"), "error: Permission denied: /root/out"),
        (IsADirectoryError(21, "Is a directory", "reports"), "error: Is a directory: reports"),
        (OSError("disk on fire"), "error: disk on fire"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(exc, line):
    result = CliRunner().invoke(_raising(exc))
    assert result.exit_code == USER_ERROR_EXIT == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == "" and "Traceback" not in result.output
    (shown,) = result.stderr.splitlines()
    assert shown == line or ("Did you mean" in line and shown.startswith(line))


def test_other_exceptions_are_bugs_and_keep_their_traceback():
    result = CliRunner().invoke(_raising(RuntimeError("a bug")))
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)


def test_user_error_message_of_an_os_error_with_two_paths():
    assert user_error_message(FileExistsError(17, "File exists", "a", None, "b")) == "File exists: a -> b"
    assert user_error_message(ValueError("")) == "ValueError"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), (" , ,", None), ("ksg", ["ksg"]), (" ksg, kde,,binning ", ["ksg", "kde", "binning"])],
)
def test_split_list(value, expected):
    assert split_list(value) == expected


def test_store_option():
    @click.command()
    @store_option
    def command(store: Path | None) -> None:
        click.echo(repr(store))

    assert CliRunner().invoke(command, []).stdout.strip() == "None"
    assert CliRunner().invoke(command, ["--store", "a/b.sqlite"]).stdout.strip() == repr(Path("a/b.sqlite"))
    assert "MIBENCH_STORE" in CliRunner().invoke(command, ["--help"]).stdout


def test_table_keeps_values_as_given():
    text = table([{"id": "a", "n": "007", "extra": 1}, {"id": "bb", "n": "1e3", "extra": 2}], ["id", "n"])
    lines = text.splitlines()
    assert lines[0].split() == ["id", "n"] and set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["a", "007"] and lines[3].split() == ["bb", "1e3"]
