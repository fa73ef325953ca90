"""``vigil supply``: the risk output contract, the other commands and the refusal of bad input."""

from __future__ import annotations

import csv
import importlib
import io
import json
from pathlib import Path

import pytest

cli = importlib.import_module("vigil.cli.main")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def files(tmp_path: Path, nodes: str, edges: str) -> list[str]:
    (tmp_path / "NODES.csv").write_text(nodes, encoding="utf-8")
    (tmp_path / "EDGES.csv").write_text(edges, encoding="utf-8")
    return ["--nodes", str(tmp_path / "NODES.csv"), "--edges", str(tmp_path / "EDGES.csv")]


EXAMPLE_NODES = ("id,name,kind,prior\nT1,Tier 1,supplier,0.2\nT2a,A,supplier,0.3\n"
                 "T2b,B,supplier,0.1\nT3,C,supplier,0.9\n")
EXAMPLE_EDGES = "supplier,buyer,share\nT2a,T1,0.5\nT2b,T1,0.5\nT3,T2a,1\n"


def test_risk_jsonl_contract_worked_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["supply", "risk", *files(tmp_path, EXAMPLE_NODES, EXAMPLE_EDGES),
                          "--format", "jsonl"], capsys)
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert set(rows) == {"T1", "T2a", "T2b", "T3"}
    assert rows["T1"]["risk"] == 0.576 and rows["T2a"]["risk"] == 0.72
    assert rows["T2a"]["exposure"] == 0.804
    assert rows["T1"]["exposure"] == round(1 - 0.8 * (1 - 0.4 * 0.804) * 0.96, 6)
    assert rows["T1"]["path"] == ["T1", "T2a", "T3"]
    assert "NODES.csv, row 5" in rows["T1"]["sources"][0]
    assert set(rows["T1"]) == {"id", "risk", "exposure", "path", "sources"}


def test_risk_parameters_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = files(tmp_path, EXAMPLE_NODES, "supplier,buyer,share\nT2a,T1,0.5\nT3,T2a,1\n")
    code, out, _ = run(["supply", "risk", *args, "--attenuation", "0.5", "--unknown-prior", "0.9",
                        "--format", "csv"], capsys)
    assert code == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows["T1"]["risk"]) == 0.45  # the unmapped half at 0.5*0.9 beats 0.5*0.45
    assert rows["T1"]["path"] == "T1 -> (unmapped)"


@pytest.mark.parametrize(
    ("edges", "place"),
    [
        ("supplier,buyer,share\nT2a,T9,0.5\n", "EDGES.csv, row 2, column buyer"),
        ("supplier,buyer,share\nT2a,T1,1.2\n", "EDGES.csv, row 2, column share"),
        ("supplier,buyer,share\nT2a,T1,0.6\nT2b,T1,0.6\n", "EDGES.csv, row 3, column share"),
    ],
)
def test_risk_refuses_bad_links(tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: str,
                                place: str) -> None:
    code, out, err = run(["supply", "risk", *files(tmp_path, EXAMPLE_NODES, edges)], capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"vigil: {place}: "), err


def test_risk_derives_prior_from_country_and_good(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = "id,name,kind,country,good\nC,Co,company,,\nF,Farm,supplier,Turkmenistan,Cotton\n"
    code, out, _ = run(["supply", "risk", *files(tmp_path, nodes, "supplier,buyer,share\nF,C,1\n")], capsys)
    rows = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert code == 0 and rows["F"]["risk"] == 0.9 and rows["C"]["risk"] == 0.72
    assert "ILAB TVPRA list 2022, row" in rows["C"]["sources"][0]
    assert "(Cotton, Turkmenistan)" in rows["C"]["sources"][0]


def test_import_rank_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = ("id,name,kind,country,good,licence\nC,Co,company,,,\n"
             "T1,Dhaka Knit Ltd,supplier,BGD,Garments,\nT1b,DHAKA KNIT LIMITED,supplier,BGD,,\n"
             "T2,Cotton Farm,supplier,TKM,Cotton,\nR1,Fast Jobs,recruiter,NPL,,none\n")
    edges = "supplier,buyer,share\nT1,C,0.6\nT1b,C,0.4\nT2,T1,0.8\nR1,T1,0.2\n"
    args = files(tmp_path, nodes, edges)
    code, out, _ = run(["supply", "import", *args, "--format", "json"], capsys)
    tiers = {r["id"]: r["tier"] for r in json.loads(out)}
    assert code == 0 and tiers == {"C": 0, "T1": 1, "T1b": 1, "T2": 2, "R1": 2}
    code, out, _ = run(["supply", "rank", *args, "--format", "jsonl", "--today", "2026-12-01"], capsys)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [x["rank"] for x in lines] == [1, 2, 3, 4]
    assert [x["id"] for x in lines] == ["T1", "T2", "T1b", "R1"]
    assert lines[0]["reason"].startswith("risk 0.900") and lines[1]["leverage"] == 0.48
    assert next(x for x in lines if x["id"] == "R1")["action"].startswith("escalate")
    code, out, _ = run(["supply", "match", "--nodes", args[1], "--format", "jsonl"], capsys)
    pairs = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [(p["a"], p["b"], p["decision"]) for p in pairs] == [("T1", "T1b", "match")]
    code, out, _ = run(["supply", "rank", *args], capsys)
    assert "1. T1 (supplier, Dhaka Knit Ltd)" in out and "action: engage" in out


def test_bad_parameters_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = files(tmp_path, EXAMPLE_NODES, EXAMPLE_EDGES)
    code, _, err = run(["supply", "risk", *args, "--attenuation", "0"], capsys)
    assert code == 2 and "--attenuation" in err


def test_risk_with_an_updated_tvpra_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = tmp_path / "tvpra_2024.csv"
    listed.write_text("source_row,good,sector,country,iso3,child_labor,forced_labor,forced_child_labor,"
                      "derived_labor_exploitation,derived_iso3\n7,Widgets,Manufacturing,France,FRA,No,Yes,No,No,\n",
                      encoding="utf-8")
    nodes = "id,name,kind,country,good\nF,Factory,supplier,FRA,Widgets\n"
    args = files(tmp_path, nodes, "supplier,buyer,share\n")
    code, out, _ = run(["supply", "risk", *args], capsys)
    assert code == 0 and json.loads(out)["risk"] == 0.1  # not on the shipped list
    code, out, _ = run(["supply", "risk", *args, "--tvpra", str(listed)], capsys)
    row = json.loads(out)
    assert code == 0 and row["risk"] == 0.9
    assert "TVPRA list tvpra_2024.csv, row 7 (Widgets, France)" in row["sources"][0]


def test_risk_derives_the_prior_from_sector_and_country(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    nodes = ("id,name,kind,prior,sector,country\nB,Brand,company,,,\n"
             "G,Garment maker,supplier,,C14,FRA\nK,Cotton farm,supplier,,A01,TKM\n")
    code, out, err = run(["supply", "risk", *files(tmp_path, nodes, "supplier,buyer,share\nG,B,1\nK,G,1\n")],
                         capsys)
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert rows["G"]["path"] == ["G"] and rows["G"]["risk"] == 0.4
    assert "isic_sector_priors_v1.csv, row 8): ISIC C14 garment" in rows["G"]["sources"][0]
    assert rows["B"]["path"] == ["B", "G"] and rows["B"]["risk"] == 0.32


def test_report_html_and_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = files(tmp_path, EXAMPLE_NODES, EXAMPLE_EDGES)
    html_out = str(tmp_path / "r.html")
    code, _, err = run(["supply", "report", *args, "--out", html_out, "--today", "2026-12-01"], capsys)
    assert code == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Risk by tier" in page and "T2a" in page
    code, _, err = run(["supply", "report", *args, "--out", str(tmp_path / "r.xlsx")], capsys)
    assert code == 0 and (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    code, _, err = run(["supply", "report", *args, "--out", str(tmp_path / "r.pdf")], capsys)
    assert code == 2 and "--out" in err and not (tmp_path / "r.pdf").exists()
