"""``vigil inspections plan`` on a register file (no server) and ``import --dry-run``: the output
contracts and the one-line refusal of bad input naming file, row and column."""

from __future__ import annotations

import csv
import importlib
import io
import json
from pathlib import Path

import pytest

cli = importlib.import_module("vigil.cli.main")

REGISTER = """id,name,sector,region,open_complaints,unlicensed_recruiters,last_visit
w1,Green Farm,0111,north,3,1,
w2,Corner Shop,G,south,0,0,2026-01-10
w3,Stitch Ltd,1410,north,0,0,2020-05-01
"""
FINDINGS = "workplace,kind,found_on\nw3,forced_labour,2025-11-01\nw2,violation,2025-12-01\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, out: str, err: str, place: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vigil: ") and place in lines[0], err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    reg = tmp_path / "register.csv"
    reg.write_text(REGISTER, encoding="utf-8")
    f = tmp_path / "findings.csv"
    f.write_text(FINDINGS, encoding="utf-8")
    return reg, f


def test_plan_jsonl_ranks_with_components_and_reason(files, capsys) -> None:
    reg, f = files
    code, out, err = run(
        ["inspections", "plan", str(reg), "--findings", str(f), "--as-of", "2026-06-01", "--format", "jsonl"],
        capsys,
    )
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == ["w1", "w3", "w2"]
    top = lines[0]
    assert top["rank"] == 1 and top["version"] == "2026.2"
    assert [c["component"] for c in top["components"]] == [
        "sector",
        "region",
        "findings",
        "complaints",
        "recruiters",
        "supply_chain",
        "last_visit",
    ]
    assert top["score"] == pytest.approx(sum(c["points"] for c in top["components"]), abs=0.2)
    assert top["reason"].startswith("sector 0111 (prior 20) (+20.0)")
    assert "forced-labour finding" in lines[1]["reason"]


def test_plan_csv_text_region_and_limit(files, capsys) -> None:
    reg, _f = files
    code, out, _ = run(
        [
            "inspections",
            "plan",
            str(reg),
            "--format",
            "csv",
            "--region",
            "north",
            "--limit",
            "1",
            "--as-of",
            "2026-06-01",
        ],
        capsys,
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["w1"]
    assert rows[0]["version"] == "2026.2" and "open complaint" in rows[0]["reason"]
    code, out, _ = run(["inspections", "plan", str(reg), "--as-of", "2026-06-01"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "inspection plan (weights 2026.2): 3 workplace(s)"
    assert out.splitlines()[1].startswith("1. w1 Green Farm [north]: score")
    assert out.splitlines()[2].startswith("     why: ")


def test_import_dry_run_checks_without_a_server(files, capsys) -> None:
    reg, _f = files
    code, out, err = run(["inspections", "import", "--dry-run", str(reg)], capsys)
    assert code == 0, err
    assert out == "register.csv: 3 workplace(s), no error (nothing stored: --dry-run)\n"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("id,name\nw1,A\n", "register.csv, row 1"),  # no sector column
        ("id,name,sector\nw1,A,ZZ\n", "register.csv, row 2, column sector"),
        ("id,name,sector\nw1,,A\n", "register.csv, row 2, column name"),
        ("id,name,sector,open_complaints\nw1,A,A,-1\n", "register.csv, row 2, column open_complaints"),
        ("id,name,sector,supply_exposure\nw1,A,A,1.5\n", "register.csv, row 2, column supply_exposure"),
        ("id,name,sector,last_visit\nw1,A,A,2026-13-01\n", "register.csv, row 2, column last_visit"),
        ("id,name,sector\nw1,A,A\nw1,B,C\n", "register.csv, row 3, column id"),
        ("id,name,sector,nationality\nw1,A,A,X\n", "register.csv, row 1"),  # unknown column
        ("id,name,sector\nw1,A\n", "register.csv, row 2"),
    ],
)
def test_bad_register_is_one_line(tmp_path: Path, capsys, text: str, place: str) -> None:
    reg = tmp_path / "register.csv"
    reg.write_text(text, encoding="utf-8")
    for args in (["inspections", "plan", str(reg)], ["inspections", "import", "--dry-run", str(reg)]):
        code, out, err = run(args, capsys)
        refused(code, out, err, place)


def test_bad_findings_name_row_and_column(files, tmp_path: Path, capsys) -> None:
    reg, f = files
    f.write_text(
        "workplace,kind,found_on\nw1,violation,2026-01-01\nw9,violation,2026-01-01\n", encoding="utf-8"
    )
    refused(
        *run(["inspections", "plan", str(reg), "--findings", str(f)], capsys),
        "findings.csv, row 3, column workplace",
    )
    f.write_text("workplace,kind,found_on\nw1,rumour,2026-01-01\n", encoding="utf-8")
    refused(
        *run(["inspections", "plan", str(reg), "--findings", str(f)], capsys),
        "findings.csv, row 2, column kind",
    )


def test_xlsx_register(tmp_path: Path, capsys) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["id", "name", "sector", "last_visit"])
    ws.append(["w1", "Farm", "0111", None])
    ws.append(["w2", "Site", 4100, None])
    ws.append(["w3", "Bad", 111, None])
    path = tmp_path / "register.xlsx"
    book.save(path)
    refused(*run(["inspections", "plan", str(path)], capsys), "register.xlsx, row 4, column sector")
    ws.delete_rows(4)
    book.save(path)
    code, out, err = run(["inspections", "plan", str(path), "--format", "jsonl"], capsys)
    assert code == 0, err
    assert {json.loads(x)["id"] for x in out.splitlines()} == {"w1", "w2"}


def test_a_column_given_twice_is_refused(tmp_path: Path, capsys) -> None:
    reg = tmp_path / "register.csv"
    reg.write_text("name,sector,sector\nFarm,A,B\n", encoding="utf-8")
    refused(*run(["inspections", "plan", str(reg)], capsys), "register.csv, row 1")


def test_a_damaged_workbook_is_one_line(tmp_path: Path, capsys) -> None:
    """Found by the import fuzzing: a damaged compressed member failed in zlib (a traceback)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "sector"])
    book.active.append(["Farm", "0111"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    data = bytearray(path.read_bytes())
    for i in range(60, len(data) - 200, 97):  # damage the compressed members, keep the zip directory
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    code, out, err = run(["inspections", "import", "--dry-run", str(path)], capsys)
    refused(code, out, err, "register.xlsx")
    assert "unexpected error" not in err
