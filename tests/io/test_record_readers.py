"""Reading records from JSON Lines, CSV and XLSX: values, blanks, and errors naming the place."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from vigil.errors import InputError
from vigil.io.records import iter_records, read_columns
from vigil.rules import assess_columns, load_ruleset
from vigil.rules.engine import encode

ADULT = load_ruleset("ilo-ec-2009-adult-labour")


def _enc(record: object):  # type: ignore[no-untyped-def]
    return encode(ADULT, record)


def test_csv_values_blanks_and_facts(tmp_path: Path) -> None:
    p = tmp_path / "in.csv"
    p.write_text("id,age,DR01,EX01,CD01,facts.act,facts.crossed_border\n"
                 "a,30,yes,1,,recruited;transported,true\n"
                 "b,,No,FALSE,0,,\n", "utf-8")
    records = [r for _, r in iter_records(p)]
    assert records[0] == {"id": "a", "age": 30, "indicators": {"DR01": True, "EX01": True},
                          "facts": {"act": ["recruited", "transported"], "crossed_border": True}}
    assert records[1] == {"id": "b", "indicators": {"DR01": False, "EX01": False, "CD01": False}}


def test_csv_bad_cell_names_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "in.csv"
    p.write_text("id,DR01\na,1\nb,maybe\n", "utf-8")
    with pytest.raises(InputError, match="'maybe' is not one of") as info:
        read_columns(p, _enc)
    assert info.value.place == "in.csv, row 3, column DR01"


def test_csv_unknown_indicator_column(tmp_path: Path) -> None:
    p = tmp_path / "in.csv"
    p.write_text("id,DR01,QQ01\na,1,0\n", "utf-8")
    with pytest.raises(InputError, match="unknown indicator") as info:
        read_columns(p, _enc)
    assert info.value.place == "in.csv, row 2, record 'a', key indicators.QQ01"


def test_csv_header_problems(tmp_path: Path) -> None:
    p = tmp_path / "dup.csv"
    p.write_text("id,DR01,DR01\n", "utf-8")
    with pytest.raises(InputError, match="duplicate column DR01"):
        read_columns(p, _enc)
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    with pytest.raises(InputError, match="empty file"):
        read_columns(empty, _enc)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"id,DR01\n\xff\xfe,1\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_columns(binary, _enc)


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a", "indicators": {"DR01": true}}\n\n{"id": "b", "indicators": {\n', "utf-8")
    with pytest.raises(InputError, match="invalid JSON") as info:
        read_columns(p, _enc)
    assert info.value.place == "in.jsonl, line 3"
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InputError, match="no such file"):
        read_columns(missing, _enc)


def test_xlsx_reader(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "age", "DR01", "DR08", "EX01", "EX04", "CD01", "CD02"])
    ws.append(["x1", 33, True, 1, "yes", "y", 1, 1])
    ws.append(["x2", 45, 0, None, "no", False, None, None])
    ws.append(["x3", 20, "perhaps", None, None, None, None, None])
    p = tmp_path / "in.xlsx"
    wb.save(p)
    with pytest.raises(InputError, match="'perhaps'") as info:
        read_columns(p, _enc)
    assert info.value.place == "in.xlsx, sheet Sheet, row 4, column DR01"
    ws.delete_rows(4)
    wb.save(p)
    cols = read_columns(p, _enc)
    outcomes = [d.outcome for d in assess_columns(ADULT, cols, "absent")]
    assert outcomes == ["positive", "negative"]
    assert cols.ids == ["x1", "x2"]
    not_xlsx = tmp_path / "fake.xlsx"
    not_xlsx.write_text("hello", "utf-8")
    with pytest.raises(InputError, match="not a readable XLSX"):
        read_columns(not_xlsx, _enc)
