"""Table readers: CSV, XLSX, SPSS and Stata into polars, with errors naming file/row/column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pyreadstat
import pytest

from vigil.errors import InputError
from vigil.io.tables import read_table, row_place, table_format


def test_csv_types_and_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('id,stratum,w,y,flag\n1,"A",1.5,NA,yes\n2,B,2,3.5,\n3,B,2.5,NaN,no\n', encoding="utf-8")
    frame = read_table(path)
    assert frame.schema == pl.Schema(
        {"id": pl.Int64, "stratum": pl.String, "w": pl.Float64, "y": pl.Float64, "flag": pl.String}
    )
    assert frame["y"].to_list() == [None, 3.5, None]
    assert frame["flag"].to_list() == ["yes", None, "no"]


def test_tsv(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("a\tb\n1\tx\n", encoding="utf-8")
    assert read_table(path).to_dicts() == [{"a": 1, "b": "x"}]


@pytest.mark.parametrize(
    ("text", "message", "place"),
    [
        ("a,b\n1,2\n3,4,5\n", "expected 2 fields, found 3", "row 3"),
        ("", "file is empty", None),
        ("a,a\n1,2\n", "column name 'a' appears twice", "row 1"),
        ("a,,c\n1,2,3\n", "column 2 has no name", "row 1"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, message: str, place: str | None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path)
    assert message in info.value.message
    assert info.value.place == (f"{path}, {place}" if place else str(path))


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("nom\nJos\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_table(path)


def test_unknown_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "absent.csv")
    other = tmp_path / "data.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"unsupported file type '\.json'"):
        read_table(other)
    assert table_format("X.SAV") == "sav"


def _workbook(path: Path, rows: list[list[object]], title: str = "survey") -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    extra = book.create_sheet("other")
    extra.append(["only"])
    extra.append([1])
    book.save(path)


def test_xlsx_types(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    _workbook(
        path,
        [
            ["id", "w", "stratum", "mixed", "when", "flag", "empty"],
            [1, 1.5, "A", 3, dt.datetime(2024, 1, 2), True, None],
            [2, 2, "NA", "x", dt.datetime(2024, 2, 3), False, None],
            [3, None, "B", 4.0, None, None, None],
            [None, None, None, None, None, None, None],
        ],
    )
    frame = read_table(path)
    assert frame.height == 3  # the trailing empty row is dropped
    assert frame.schema["id"] == pl.Int64
    assert frame["w"].to_list() == [1.5, 2.0, None]
    assert frame["stratum"].to_list() == ["A", None, "B"]
    assert frame["mixed"].to_list() == ["3", "x", "4"]
    assert frame.schema["when"] == pl.Datetime
    assert frame["flag"].to_list() == [True, False, None]
    assert frame["empty"].to_list() == [None, None, None]
    assert read_table(path, sheet="other").to_dicts() == [{"only": 1}]


def test_bad_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    _workbook(path, [["a", None, "c"], [1, 2, 3]])
    with pytest.raises(InputError) as info:
        read_table(path)
    assert info.value.place == f"{path}, sheet survey, row 1"
    assert "column 2 has no name" in info.value.message
    _workbook(path, [["a", "b"], [1, 2, 3]])
    with pytest.raises(InputError) as info:
        read_table(path)
    assert info.value.place == f"{path}, sheet survey, row 2"
    _workbook(path, [["a"], [1]])
    with pytest.raises(InputError, match="no sheet named 'nope'; sheets are: survey, other"):
        read_table(path, sheet="nope")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="cannot open as an Excel workbook"):
        read_table(broken)


def _survey_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "stratum": ["A", "A", "B", ""],
            "w": [1.5, 2.0, None, 3.0],
            "sex": [1.0, 2.0, 1.0, 2.0],
        }
    )


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"s{suffix}"
    writer = pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta
    writer(_survey_frame(), str(path), variable_value_labels={"sex": {1: "male", 2: "female"}})
    frame = read_table(path)
    assert frame["stratum"].to_list() == ["A", "A", "B", None]
    assert frame["w"].to_list() == [1.5, 2.0, None, 3.0]
    assert frame["sex"].to_list() == [1.0, 2.0, 1.0, 2.0]
    labelled = read_table(path, value_labels=True)
    assert labelled["sex"].to_list() == ["male", "female", "male", "female"]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_broken_spss_and_stata(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"this is not a statistics file")
    label = "SPSS" if suffix == ".sav" else "Stata"
    with pytest.raises(InputError, match=f"cannot read as a {label} file") as info:
        read_table(path)
    assert info.value.place == str(path)


def test_row_place() -> None:
    assert row_place("a.csv", 0, "w") == "a.csv, row 2, column w"
    assert row_place("a.xlsx", 4) == "a.xlsx, row 6"
    assert row_place("a.sav", 0, "w") == "a.sav, row 1, column w"
    assert row_place(None, 2) == "data, row 3"
