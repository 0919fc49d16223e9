"""Reading a user's own sample for ``mibench estimate``: every format, column selection, and every error path
with its message."""

from __future__ import annotations

import numpy as np
import pytest

from mibench.datafile import load_sample
from mibench.errors import DataFileError, MIBenchError

# 5 samples x 4 columns; cell (i, j) = 4 i + j, so every column is recognisable by its values.
TABLE = np.arange(20, dtype=np.float64).reshape(5, 4)
NAMES = ["a", "b", "c", "d"]


def _csv_text(table: np.ndarray = TABLE, header: list[str] | None = None) -> str:
    lines = [",".join(header)] if header else []
    lines += [",".join(f"{v:g}" for v in row) for row in table]
    return "\n".join(lines) + "\n"


def _write(path, text: str):
    path.write_text(text)
    return path


def _check(pair, x_columns: list[int], y_columns: list[int], table: np.ndarray = TABLE) -> None:
    x, y = pair
    assert x.ndim == 2 and y.ndim == 2
    np.testing.assert_array_equal(x, table[:, x_columns])
    np.testing.assert_array_equal(y, table[:, y_columns])


@pytest.fixture(params=["npy", "npz-table", "csv", "csv-header"])
def table_file(request, tmp_path):
    """TABLE written in each tabular format."""
    kind = request.param
    if kind == "npy":
        path = tmp_path / "t.npy"
        np.save(path, TABLE)
    elif kind == "npz-table":
        path = tmp_path / "t.npz"
        np.savez(path, data=TABLE)
    elif kind == "csv":
        path = _write(tmp_path / "t.csv", _csv_text())
    else:
        path = _write(tmp_path / "t.csv", _csv_text(header=NAMES))
    return path


# ---------------------------------------------------------------------------------------------------------------
# formats
# ---------------------------------------------------------------------------------------------------------------


def test_every_table_format_defaults_to_first_column_x_rest_y(table_file):
    x, y = load_sample(table_file)
    _check((x, y), [0], [1, 2, 3])
    assert x.dtype == np.float64 and y.dtype == np.float64


def test_path_may_be_a_string(table_file):
    _check(load_sample(str(table_file)), [0], [1, 2, 3])


def test_npz_with_x_and_y_arrays_uses_them_as_they_are(tmp_path):
    x = np.linspace(0.0, 1.0, 6)  # 1-D: becomes one column
    y = np.arange(12.0).reshape(6, 2)
    path = tmp_path / "pair.npz"
    np.savez(path, x=x, y=y, extra=np.zeros(3))  # further arrays are ignored when x and y are present
    got_x, got_y = load_sample(path)
    np.testing.assert_array_equal(got_x, x.reshape(-1, 1))
    np.testing.assert_array_equal(got_y, y)


def test_npz_holding_one_array_is_a_table_whatever_its_name(tmp_path):
    path = tmp_path / "one.npz"
    np.savez(path, x=TABLE)  # only 'x', no 'y': a table, not a pair
    _check(load_sample(path), [0], [1, 2, 3])
    np.savez_compressed(path, samples=TABLE)
    _check(load_sample(path, x_cols="2:"), [2, 3], [0, 1])


def test_integer_and_bool_arrays_are_accepted(tmp_path):
    path = tmp_path / "int.npy"
    np.save(path, TABLE.astype(np.int32))
    _check(load_sample(path), [0], [1, 2, 3])
    np.save(path, np.array([[True, False], [False, True], [True, True]]))
    x, y = load_sample(path)
    assert x.shape == (3, 1) and y.shape == (3, 1)


def test_upper_case_extension(tmp_path):
    path = tmp_path / "T.NPY"
    np.save(tmp_path / "tmp.npy", TABLE)
    (tmp_path / "tmp.npy").rename(path)
    _check(load_sample(path), [0], [1, 2, 3])


def test_csv_header_detection_and_tolerated_layout(tmp_path):
    # spaces around cells, blank lines and a missing final newline are all fine
    text = " a , b ,c,d\n\n" + _csv_text().replace(",", " , ").rstrip("\n") + "\n\n   \n"
    path = _write(tmp_path / "t.csv", text.rstrip("\n"))
    _check(load_sample(path, x_cols="b", y_cols="a,d"), [1], [0, 3])
    # a first row of numbers (scientific notation, signs) is data, not a header
    path = _write(tmp_path / "n.csv", "1e0,-2.5\n+3,4\n5,6.0\n")
    x, y = load_sample(path)
    np.testing.assert_array_equal(x[:, 0], [1.0, 3.0, 5.0])
    np.testing.assert_array_equal(y[:, 0], [-2.5, 4.0, 6.0])


# ---------------------------------------------------------------------------------------------------------------
# column selection
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x_cols", "y_cols", "x_columns", "y_columns"),
    [
        ("0", None, [0], [1, 2, 3]),
        ("1", None, [1], [0, 2, 3]),  # only x given: y is every other column
        (None, "0", [1, 2, 3], [0]),  # only y given: x is every other column
        (None, "1,3", [0, 2], [1, 3]),
        ("0,2", "1,3", [0, 2], [1, 3]),
        ("2,0", "3", [2, 0], [3]),  # order as given
        ("1:3", None, [1, 2], [0, 3]),  # range, end excluded
        (":2", "2:", [0, 1], [2, 3]),  # open ranges
        ("0", "2:100", [0], [2, 3]),  # a range past the end stops at the last column
        ("-1", None, [3], [0, 1, 2]),  # negative index counts from the end
        ("0", "-2", [0], [2]),
        ("-2:", None, [2, 3], [0, 1]),  # negative range bounds count from the end as in Python
        (":-1", "-1", [0, 1, 2], [3]),
        (" 0 , 2 ", " 3 ", [0, 2], [3]),  # spaces around parts
        ("0,", "1,,2", [0], [1, 2]),  # empty parts are ignored
    ],
)
def test_column_selection(table_file, x_cols, y_cols, x_columns, y_columns):
    _check(load_sample(table_file, x_cols, y_cols), x_columns, y_columns)


@pytest.mark.parametrize(
    ("x_cols", "y_cols", "x_columns", "y_columns"),
    [
        ("a", None, [0], [1, 2, 3]),
        ("b,d", None, [1, 3], [0, 2]),
        (None, "c", [0, 1, 3], [2]),
        ("d", "a,b", [3], [0, 1]),
        ("a,2", "1", [0, 2], [1]),  # names and indices mixed
        ("1:3", "d", [1, 2], [3]),
    ],
)
def test_csv_header_names(tmp_path, x_cols, y_cols, x_columns, y_columns):
    path = _write(tmp_path / "t.csv", _csv_text(header=NAMES))
    _check(load_sample(path, x_cols, y_cols), x_columns, y_columns)


def test_numeric_looking_header_names_win_over_indices(tmp_path):
    # a header is recognised when some cell is not a number; its names are matched before indices
    path = _write(tmp_path / "t.csv", "3,x,1,y\n" + _csv_text())
    _check(load_sample(path, x_cols="1"), [2], [0, 1, 3])  # the column *named* "1" is index 2
    _check(load_sample(path, x_cols="x", y_cols="3"), [1], [0])


# ---------------------------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------------------------


def test_data_file_error_is_a_user_error():
    # the CLI turns MIBenchError / ValueError into "error: ..." and exit status 2
    assert issubclass(DataFileError, MIBenchError) and issubclass(DataFileError, ValueError)


def _raises(match: str):
    return pytest.raises(DataFileError, match=match)


def test_missing_file(tmp_path):
    with _raises(r"^no such file: .*nothing\.csv$"):
        load_sample(tmp_path / "nothing.csv")
    with _raises("no such file"):  # a folder is not a data file
        load_sample(tmp_path)


@pytest.mark.parametrize(("name", "shown"), [("data.txt", "'.txt'"), ("data.xlsx", "'.xlsx'"), ("data", r"'\(none\)'")])
def test_unknown_extension(tmp_path, name, shown):
    path = _write(tmp_path / name, _csv_text())
    with _raises(rf"unsupported file type {shown} for .*; use one of \.npy, \.npz, \.csv"):
        load_sample(path)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("bad.npy", b"this is not a numpy file", r"cannot read .*bad\.npy as \.npy: "),
        ("bad.npz", b"PK\x03\x04 truncated zip", r"cannot read .*bad\.npz as \.npz: "),
        ("bad.npz", b"plain text", r"cannot read .*bad\.npz as \.npz: "),
        ("empty.npy", b"", r"cannot read .*empty\.npy as \.npy: "),
        ("empty.npz", b"", r"cannot read .*empty\.npz as \.npz: "),
        ("empty.csv", b"", r"empty\.csv is empty$"),
        ("blank.csv", b"\n  \n,,\n", r"blank\.csv is empty$"),
        # not text in the locale's encoding (UTF-8 almost everywhere); either way a DataFileError
        ("binary.csv", b"1,2\n3,\xff\xfe\n", r"cannot read .*binary\.csv as CSV: |is not a number"),
    ],
)
def test_unreadable_corrupt_or_empty_files(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with _raises(match):
        load_sample(path)


def test_npy_needing_pickle_is_refused(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([[1, "a"], [2, None]], dtype=object), allow_pickle=True)
    with _raises(r"cannot read .*obj\.npy as \.npy: .*pickle"):
        load_sample(path)


def test_npz_with_several_arrays_but_no_x_and_y(tmp_path):
    path = tmp_path / "many.npz"
    np.savez(path, a=TABLE, b=TABLE, x=TABLE)
    with _raises(r"many\.npz must hold arrays 'x' and 'y', or exactly one table; it holds \['a', 'b', 'x'\]"):
        load_sample(path)
    np.savez(path)
    with _raises(r"it holds nothing"):
        load_sample(path)


def test_non_numeric_arrays(tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.array([["1", "2"], ["3", "4"]]))
    with _raises(r"s\.npy is not numeric \(dtype <U1\)"):
        load_sample(path)
    pair = tmp_path / "p.npz"
    np.savez(pair, x=np.zeros(3), y=np.array(["a", "b", "c"]))
    with _raises(r"p\.npz\['y'\] is not numeric"):
        load_sample(pair)
    table = tmp_path / "t.npz"
    np.savez(table, data=np.array([["u", "v"]]))
    with _raises(r"t\.npz\['data'\] is not numeric"):
        load_sample(table)


def test_arrays_of_more_than_two_dimensions(tmp_path):
    path = tmp_path / "cube.npy"
    np.save(path, np.zeros((3, 2, 2)))
    with _raises(r"must be 1-D or 2-D, got shape \(3, 2, 2\)"):
        load_sample(path)
    pair = tmp_path / "p.npz"
    np.savez(pair, x=np.zeros((3, 1, 1)), y=np.zeros(3))
    with _raises(r"p\.npz\['x'\] must be 1-D or 2-D"):
        load_sample(pair)


def test_non_numeric_csv_cell_names_line_and_column(tmp_path):
    path = _write(tmp_path / "h.csv", "a,b,c\n1,2,3\n4,five,6\n")
    with _raises(r"h\.csv, line 3, column 'b': 'five' is not a number$"):
        load_sample(path)
    path = _write(tmp_path / "n.csv", "1,2,3\n4,5,6\n7,8,\n")  # no header: column by 0-based index
    with _raises(r"n\.csv, line 3, column '2': '' is not a number$"):
        load_sample(path)


def test_csv_line_numbers_count_blank_lines(tmp_path):
    # the line named is the line of the file, also when blank lines come before it
    path = _write(tmp_path / "gaps.csv", "\na,b\n\n1,2\n\n3,x\n")
    with _raises(r"gaps\.csv, line 6, column 'b': 'x' is not a number$"):
        load_sample(path)
    path = _write(tmp_path / "ragged.csv", "1,2\n\n\n3,4,5\n")
    with _raises(r"ragged\.csv, data row at line 4: 3 fields, expected 2$"):
        load_sample(path)


def test_ragged_csv_rows(tmp_path):
    path = _write(tmp_path / "r.csv", "1,2,3\n4,5,6\n7,8\n")
    with _raises(r"r\.csv, data row at line 3: 2 fields, expected 3$"):
        load_sample(path)
    path = _write(tmp_path / "h.csv", "a,b,c\n1,2,3\n4,5,6,7\n")
    with _raises(r"h\.csv, data row at line 3: 4 fields, expected 3$"):
        load_sample(path)
    path = _write(tmp_path / "w.csv", "a,b\n1,2,3\n4,5,6\n")  # the header disagrees with every row
    with _raises(r"w\.csv: header has 2 names but rows have 3 fields$"):
        load_sample(path)


def test_header_only_csv(tmp_path):
    path = _write(tmp_path / "h.csv", "a,b,c\n\n")
    with _raises(r"h\.csv has a header but no data rows$"):
        load_sample(path)


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("one.npy", lambda p: np.save(p, np.arange(5.0))),  # 1-D: a single column
        ("one.npy", lambda p: np.save(p, np.arange(5.0).reshape(5, 1))),
        ("one.npz", lambda p: np.savez(p, data=np.arange(5.0))),
        ("one.csv", lambda p: p.write_text("1\n2\n3\n")),
        ("one.csv", lambda p: p.write_text("value\n1\n2\n")),
    ],
)
def test_single_column_table(tmp_path, name, write):
    path = tmp_path / name
    write(path)
    with _raises(r"has 1 column; x and y need at least two columns in all"):
        load_sample(path)


@pytest.mark.parametrize(
    ("x_cols", "y_cols", "match"),
    [
        # overlapping x and y
        ("0,1", "1,2", r"^columns \[1\] are selected for both x and y$"),
        ("0:3", "-1,2", r"^columns \[2\] are selected for both x and y$"),
        ("1", "-3", r"^columns \[1\] are selected for both x and y$"),  # the same column by two indices
        # one side takes every column
        ("0:4", None, r"^x and y each need at least one column$"),
        (None, "0,1,2,3", r"^x and y each need at least one column$"),
        # out of range
        ("4", None, r"^--x-cols: column 4 out of range; the file has 4 columns$"),
        (None, "-5", r"^--y-cols: column -5 out of range; the file has 4 columns$"),
        # not a column
        ("zz", None, r"^--x-cols: unknown column 'zz'$"),
        ("0", "1.5", r"^--y-cols: unknown column '1\.5'$"),
        ("a:b", None, r"^--x-cols: bad column range 'a:b'$"),
        ("0:1:2", None, r"^--x-cols: bad column range '0:1:2'$"),
        # a selection that selects nothing
        ("", None, r"^--x-cols: selects no columns$"),
        (None, " , ", r"^--y-cols: selects no columns$"),
        ("3:1", None, r"^--x-cols: selects no columns$"),
        ("0", "7:", r"^--y-cols: selects no columns$"),
        # a column named twice within one side (the same index, overlapping ranges, an index and its negative)
        ("0,0", None, r"^--x-cols: column\(s\) \[0\] selected more than once; name each column once$"),
        ("0:2,1", None, r"^--x-cols: column\(s\) \[1\] selected more than once"),
        ("0", "3,-1,1,2,1", r"^--y-cols: column\(s\) \[1, 3\] selected more than once"),
    ],
)
def test_bad_column_selection(tmp_path, x_cols, y_cols, match):
    path = tmp_path / "t.npy"
    np.save(path, TABLE)
    with _raises(match):
        load_sample(path, x_cols, y_cols)


def test_unknown_csv_column_name_lists_the_header(tmp_path):
    path = _write(tmp_path / "t.csv", _csv_text(header=NAMES))
    with _raises(r"^--y-cols: unknown column 'e'; columns are a, b, c, d$"):
        load_sample(path, x_cols="a", y_cols="e")
    with _raises(r"^--x-cols: unknown column 'A'"):  # names are case-sensitive
        load_sample(path, x_cols="A")


def test_a_csv_column_named_twice_is_refused_by_name(tmp_path):
    path = _write(tmp_path / "t.csv", _csv_text(header=NAMES))
    for x_cols in ("a,a", "a,0"):
        with _raises(r"^--x-cols: column\(s\) \['a'\] selected more than once; name each column once$"):
            load_sample(path, x_cols=x_cols)


def _zip(path, members: dict[str, bytes]):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "shown"),
    [
        ({"table.npy": "TABLE", "notes.txt": b"hello"}, "notes.txt"),  # an extra text member
        ({"notes.txt": b"hello"}, "notes.txt"),  # nothing but a text member
        ({"table.npy": b"garbage, not an npy array"}, "table"),  # an .npy member whose content is not one
        ({"x.npy": "TABLE", "y.npy": b"\x93NUMPY garbage"}, "y"),  # the pair form, one member damaged
    ],
)
def test_an_npz_member_that_is_not_an_npy_array_is_named(tmp_path, members, shown):
    contents = {name: _npy_bytes(TABLE) if value == "TABLE" else value for name, value in members.items()}
    path = _zip(tmp_path / "odd.npz", contents)
    with _raises(rf"member '{shown}' of .*odd\.npz"):
        load_sample(path)


def test_an_npy_file_named_npz_is_refused(tmp_path):
    path = tmp_path / "table.npz"
    with path.open("wb") as handle:
        np.save(handle, TABLE)
    with _raises(r"table\.npz is a single \.npy array, not an \.npz archive; name it \.npy"):
        load_sample(path)


def test_x_y_arrays_refuse_column_selection(tmp_path):
    path = tmp_path / "pair.npz"
    np.savez(path, x=np.zeros((4, 2)), y=np.ones((4, 1)))
    for x_cols, y_cols in [("0", None), (None, "0"), ("0", "1")]:
        with _raises(r"pair\.npz holds arrays 'x' and 'y'; --x-cols/--y-cols apply to single tables only"):
            load_sample(path, x_cols, y_cols)


def test_csv_with_utf8_bom_header_selects_by_name(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffa,b\n1,2\n3,4\n5,6\n".encode())
    x, y = load_sample(path, x_cols="a")
    assert x[:, 0].tolist() == [1.0, 3.0, 5.0] and y[:, 0].tolist() == [2.0, 4.0, 6.0]
