"""``vigil estimate survey``: output shapes, agreement with the library, one-line errors."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest

from vigil.io.tables import read_table
from vigil.stats.design import DesignSpec
from vigil.stats.survey import Mean, Proportion, Ratio, Total, estimate

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "survey"
cli = importlib.import_module("vigil.cli.main")


@pytest.fixture
def apistrat(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "apistrat.csv"
    shutil.copy(REFERENCE / "apistrat.csv", data)
    design = tmp_path / "design.yaml"
    design.write_text("strata: stype\nweights: pw\nfpc: fpc\n", encoding="utf-8")
    return data, design


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_matches_library(apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data, design = apistrat
    code, out, _ = _run(
        [
            "estimate",
            "survey",
            "--design",
            str(design),
            "--mean",
            "api00",
            "--total",
            "enroll",
            "--ratio",
            "api00/api99",
            "--prop",
            "sch.wide=Yes",
            "--by",
            "stype",
            "--format",
            "json",
            str(data),
        ],
        capsys,
    )
    assert code == 0
    rows = json.loads(out)
    frame = read_table(data)
    spec = DesignSpec(strata=("stype",), weights="pw", fpc=("fpc",))
    statistics = [Mean("api00"), Total("enroll"), Ratio("api00", "api99")]
    expected = estimate(frame, spec, [*statistics, Proportion("sch.wide", "Yes")], by="stype")
    assert len(rows) == len(expected) == 12
    for row, result in zip(rows, expected, strict=True):
        assert set(row) == {"statistic", "variable", "domain", "value", "se", "ci"}
        assert row["statistic"] == result.statistic
        assert row["variable"] == result.variable
        assert row["domain"] == result.domain
        assert row["value"] == pytest.approx(result.value, rel=1e-12)
        assert row["se"] == pytest.approx(result.se, rel=1e-12)
        assert row["ci"] == pytest.approx(list(result.ci), rel=1e-12)
    assert {row["domain"]["stype"] for row in rows} == {"E", "H", "M"}


def test_table_output_and_overall_domain(
    apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, design = apistrat
    code, out, _ = _run(["estimate", "survey", "--design", str(design), "--mean", "api00", str(data)], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:5] == ["statistic", "variable", "domain", "value", "se"]
    assert lines[1].split()[:5] == ["mean", "api00", "(all)", "662.287", "9.40894"]


def test_json_overall_has_empty_domain(
    apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, design = apistrat
    code, out, _ = _run(
        [
            "estimate",
            "survey",
            "--design",
            str(design),
            "--mean",
            "api00",
            "--format",
            "json",
            str(data),
        ],
        capsys,
    )
    assert code == 0
    (row,) = json.loads(out)
    assert row["domain"] == {}


def test_lonely_psu_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "lonely.csv"
    data.write_text("s,psu,y,w\nA,1,1,2\nA,2,3,2\nA,3,4,2\nB,4,5,3\nB,4,6,3\n", encoding="utf-8")
    design = tmp_path / "design.yaml"
    design.write_text("ids: [psu]\nstrata: s\nweights: w\n", encoding="utf-8")
    base = ["estimate", "survey", "--design", str(design), "--total", "y"]
    code, _, err = _run([*base, str(data)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "only one PSU" in err and err.startswith("vigil: ")
    for rule in ("remove", "certainty", "adjust", "average"):
        code, out, _ = _run([*base, "--lonely-psu", rule, "--format", "json", str(data)], capsys)
        assert code == 0, rule
        assert json.loads(out)[0]["se"] > 0


@pytest.mark.parametrize(
    ("design_text", "extra", "message"),
    [
        ("strata: stype\nweights: pw\nfpc: fpc\n", ["--mean", "nope"], "no column 'nope'"),
        ("strata: stype\nweights: pw\nfpc: fpc\n", ["--mean", "stype"], "column stype"),
        ("strata: stype\nweights: pw\nfpc: fpc\n", ["--ratio", "api00"], "NUM/DEN"),
        ("strata: stype\nweights: pw\nfpc: fpc\n", ["--prop", "sch.wide="], "VAR=LEVEL"),
        ("strata: stype\nweights: pw\nfpc: fpc\n", [], "nothing to estimate"),
        ("strata: stype\nweights: pw\n", ["--mean", "api00", "--format", "xml"], "--format"),
        ("strata: stype\nweights: pw\n", ["--mean", "api00", "--lonely-psu", "x"], "lonely"),
        ("strata: kind\nweights: pw\n", ["--mean", "api00"], "key 'strata'"),
        ("strata: stype\nweight: pw\n", ["--mean", "api00"], "unknown key 'weight'"),
        ("strata: stype\nweights: name\n", ["--mean", "api00"], "column name"),
        ("strata: [stype\n", ["--mean", "api00"], "not valid YAML"),
        ("strata: stype\nweights: pw\n", ["--mean", "acs.k3", "--no-na-rm"], "--na-rm"),
    ],
)
def test_errors_are_one_line_exit_2(
    apistrat: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    design_text: str,
    extra: list[str],
    message: str,
) -> None:
    data, design = apistrat
    design.write_text(design_text, encoding="utf-8")
    code, out, err = _run(["estimate", "survey", "--design", str(design), *extra, str(data)], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("vigil: ") and err.count("\n") == 1
    assert message in err


def test_missing_files(apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data, design = apistrat
    code, _, err = _run(
        ["estimate", "survey", "--design", str(design), "--mean", "api00", "nowhere.csv"], capsys
    )
    assert code == 2 and "nowhere.csv: file not found" in err
    code, _, err = _run(["estimate", "survey", "--design", "none.yaml", "--mean", "api00", str(data)], capsys)
    assert code == 2 and "none.yaml: design file not found" in err


def test_missing_values_are_left_out_by_default_with_a_warning(
    apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, design = apistrat
    base = ["estimate", "survey", "--design", str(design), "--mean", "acs.k3"]
    code, out, err = _run([*base, "--format", "json", str(data)], capsys)
    assert code == 0
    assert "vigil: warning: mean of acs.k3: 103 row(s) with a missing value left out" in err
    code, explicit, _ = _run([*base, "--na-rm", "--format", "json", str(data)], capsys)
    assert code == 0 and explicit == out
    frame = read_table(data)
    spec = DesignSpec(strata=("stype",), weights="pw", fpc=("fpc",))
    (result,) = estimate(frame, spec, [Mean("acs.k3")], na_rm=True)
    assert json.loads(out)[0]["se"] == pytest.approx(result.se, rel=1e-12)


def test_prop_without_level_gives_every_level(
    apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, design = apistrat
    code, out, _ = _run(
        [
            "estimate",
            "survey",
            "--design",
            str(design),
            "--prop",
            "stype",
            "--format",
            "json",
            str(data),
        ],
        capsys,
    )
    assert code == 0
    rows = json.loads(out)
    assert [row["variable"] for row in rows] == ["stype=E", "stype=H", "stype=M"]
    assert sum(row["value"] for row in rows) == pytest.approx(1.0)


@pytest.mark.parametrize("suffix", [".sav", ".dta", ".xlsx"])
def test_spss_stata_and_excel_input_give_the_csv_results(
    apistrat: tuple[Path, Path], capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    import openpyxl
    import pyreadstat

    data, design = apistrat
    frame = read_table(data).select(["stype", "pw", "fpc", "api00", "sch.wide"])
    other = data.with_suffix(suffix)
    renamed = frame.rename({"sch.wide": "schwide"})  # SPSS and Stata names have no dots
    if suffix == ".sav":
        pyreadstat.write_sav(renamed, str(other))
    elif suffix == ".dta":
        pyreadstat.write_dta(renamed, str(other))
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(renamed.columns)
        for row in renamed.iter_rows():
            sheet.append(list(row))
        book.save(other)
    args = ["--mean", "api00", "--format", "json"]
    base = ["estimate", "survey", "--design", str(design), *args]
    code, expected, _ = _run([*base, "--prop", "sch.wide=Yes", str(data)], capsys)
    assert code == 0
    code, out, err = _run([*base, "--prop", "schwide=Yes", str(other)], capsys)
    assert code == 0, err
    for mine, theirs in zip(json.loads(out), json.loads(expected), strict=True):
        assert mine["value"] == pytest.approx(theirs["value"], rel=1e-12)
        assert mine["se"] == pytest.approx(theirs["se"], rel=1e-12)
