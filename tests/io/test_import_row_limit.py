"""Rows per import (issue 14): ``VIGIL_MAX_IMPORT_ROWS`` is enforced by every command that reads a
user's file. At the limit the file is accepted; one data row past it the command exits 2 with one
line naming the file and the setting, prints nothing on stdout and writes no output file."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from vigil.errors import InputError
from vigil.io.limits import DEFAULT_MAX_ROWS, ENV, max_import_rows

cli = importlib.import_module("vigil.cli.main")
ADULT = "ilo-ec-2009-adult-labour"
N = 6  # data rows of every fuzzed file below (other files of the same command hold fewer)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@dataclass(frozen=True)
class Case:
    name: str
    file: str                                   # the file holding N data rows
    make: Callable[[Path], list[str]]           # writes the inputs, returns argv (-o d/out.x if any)
    writes: bool = False


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _screening_rows() -> list[str]:
    return [f"r{i},{20 + i},{'yes' if i % 2 else 'no'}" for i in range(N)]


def _assess_jsonl(d: Path) -> list[str]:
    lines = [json.dumps({"id": f"r{i}", "age": 30 + i, "indicators": {"DR01": i % 2 == 0}}) for i in range(N)]
    (d / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["assess", "--ruleset", ADULT, "-o", str(d / "out.csv"), str(d / "in.jsonl")]


def _assess_csv(d: Path) -> list[str]:
    _csv(d / "in.csv", "id,age,DR01", _screening_rows())
    return ["assess", "--ruleset", ADULT, "-o", str(d / "out.csv"), str(d / "in.csv")]


def _assess_xlsx(d: Path) -> list[str]:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "age", "DR01"])
    for i in range(N):
        ws.append([f"r{i}", 20 + i, "yes" if i % 2 else "no"])
    wb.save(d / "in.xlsx")
    return ["assess", "--ruleset", ADULT, "-o", str(d / "out.csv"), str(d / "in.xlsx")]


def _triage(d: Path) -> list[str]:
    _csv(d / "in.csv", "id,age,DR01", _screening_rows())
    return ["triage", "-o", str(d / "out.csv"), str(d / "in.csv")]


def _mse(d: Path) -> list[str]:
    _csv(d / "lists.csv", "A,B,C,count",
         ["1,0,0,30", "0,1,0,40", "0,0,1,20", "1,1,0,5", "1,0,1,4", "0,1,1,6"])
    return ["estimate", "mse", str(d / "lists.csv")]


def _survey_design(d: Path) -> None:
    (d / "design.yaml").write_text("ids: [psu]\nweights: wt\n", "utf-8")


def _survey_csv(d: Path) -> list[str]:
    _survey_design(d)
    _csv(d / "svy.csv", "psu,wt,q", [f"{i + 1},10,{i % 2}" for i in range(N)])
    return ["estimate", "survey", "--design", str(d / "design.yaml"), "--mean", "q", str(d / "svy.csv")]


def _survey_xlsx(d: Path) -> list[str]:
    from openpyxl import Workbook

    _survey_design(d)
    wb = Workbook()
    ws = wb.active
    ws.append(["psu", "wt", "q"])
    for i in range(N):
        ws.append([i + 1, 10, i % 2])
    ws.append([None, None, None])  # a blank row at the end is no data row
    wb.save(d / "svy.xlsx")
    return ["estimate", "survey", "--design", str(d / "design.yaml"), "--mean", "q", str(d / "svy.xlsx")]


def _survey_sav(d: Path) -> list[str]:
    import pandas as pd
    import pyreadstat

    _survey_design(d)
    frame = pd.DataFrame({"psu": [float(i + 1) for i in range(N)], "wt": [10.0] * N,
                          "q": [float(i % 2) for i in range(N)]})
    pyreadstat.write_sav(frame, str(d / "svy.sav"))
    return ["estimate", "survey", "--design", str(d / "design.yaml"), "--mean", "q", str(d / "svy.sav")]


def _prevalence(d: Path) -> list[str]:
    _survey_csv(d)
    (d / "map.yaml").write_text("ruleset: ilo-2012-forced-labour\nindicators: {UR05: q}\n", "utf-8")
    return ["estimate", "prevalence", "--design", str(d / "design.yaml"), "--mapping", str(d / "map.yaml"),
            str(d / "svy.csv")]


def _link(d: Path) -> list[str]:
    names = ["Ana,Petrova,1990-03-02", "Jo,Santos,2001-07-14", "Li,Wei,1985-01-30",
             "Sam,Okoro,1977-11-05", "Eva,Novak,1999-06-21", "Raj,Patel,1968-09-09"]
    _csv(d / "a.csv", "given_name,family_name,dob", names[:N])
    _csv(d / "b.csv", "given_name,family_name,dob", names[:2])
    (d / "lists.yaml").write_text("version: 1\nlists:\n  a: {file: a.csv}\n  b: {file: b.csv}\n", "utf-8")
    return ["link", "--config", str(d / "lists.yaml"), "-o", str(d / "out.csv")]


def _form(d: Path) -> Path:
    form = d / "form.xlsx"
    code = 0
    try:
        cli.main(["forms", "export", "--ruleset", ADULT, "-o", str(form)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0
    return form


def _forms_csv(d: Path) -> list[str]:
    from tests.forms import synth
    from vigil.rules.loader import load_ruleset

    form = _form(d)
    rs = load_ruleset(ADULT)
    synth.kobo_csv(synth.answers(rs, N, 1), rs, d / "subs.csv")
    return ["forms", "import", "--form", str(form), "-o", str(d / "out.csv"), str(d / "subs.csv")]


def _forms_json(d: Path) -> list[str]:
    form = _form(d)
    subs = [{"_uuid": f"u{i}", "consent": "yes"} for i in range(N)]
    (d / "subs.json").write_text(json.dumps(subs), "utf-8")
    return ["forms", "import", "--form", str(form), "-o", str(d / "out.csv"), str(d / "subs.json")]


def _offers(d: Path) -> list[str]:
    lines = [json.dumps({"id": f"o{i}", "text": "Cleaner wanted, pay the agency a fee"}) for i in range(N)]
    (d / "offers.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return ["recruiters", "check-offer", "--format", "jsonl", str(d / "offers.jsonl")]


def _match(d: Path) -> list[str]:
    _csv(d / "reg.csv", "id,name,country", ["r1,Acme Recruit,NP"])
    _csv(d / "names.csv", "id,name,country", [f"a{i},Agency {i},NP" for i in range(N)])
    return ["recruiters", "match", "--registry", str(d / "reg.csv"), "-o", str(d / "out.csv"),
            str(d / "names.csv")]


def _risk(d: Path) -> list[str]:
    _csv(d / "agencies.csv", "id,name,country", [f"a{i},Agency {i},NP" for i in range(N)])
    return ["recruiters", "risk", "--format", "jsonl", str(d / "agencies.csv")]


def _fees(d: Path) -> list[str]:
    _csv(d / "pay.csv", "id,amount,currency,purpose,payee,channel",
         [f"p{i},100,USD,visa,recruiter,upfront" for i in range(N)])
    return ["recruiters", "fees", str(d / "pay.csv")]


def _supply(d: Path) -> list[str]:
    _csv(d / "nodes.csv", "id,name,kind,prior", [f"S{i},Supplier {i},supplier,0.{i + 1}" for i in range(N)])
    _csv(d / "edges.csv", "supplier,buyer,share", ["S1,S0,0.5", "S2,S0,0.5"])
    return ["supply", "import", "--nodes", str(d / "nodes.csv"), "--edges", str(d / "edges.csv")]


def _supply_edges(d: Path) -> list[str]:
    _csv(d / "nodes.csv", "id,name,kind,prior",
         [f"S{i},Supplier {i},supplier,0.{i + 1}" for i in range(N - 1)])
    _csv(d / "edges.csv", "supplier,buyer,share",
         ["S1,S0,0.5", "S2,S0,0.5", "S3,S1,1", "S3,S2,0.5", "S4,S2,0.5", "S4,S3,1"])
    return ["supply", "import", "--nodes", str(d / "nodes.csv"), "--edges", str(d / "edges.csv")]


WEEKS = 200


def _alerts(d: Path) -> list[str]:
    start = dt.date(2022, 1, 3)
    _csv(d / "counts.csv", "unit,period,count",
         [f"north,{(start + dt.timedelta(weeks=i)).isoformat()},{5 + i % 3}" for i in range(WEEKS)])
    return ["alerts", "detect", str(d / "counts.csv")]


CASES = [
    Case("assess-jsonl", "in.jsonl", _assess_jsonl, writes=True),
    Case("assess-csv", "in.csv", _assess_csv, writes=True),
    Case("assess-xlsx", "in.xlsx", _assess_xlsx, writes=True),
    Case("triage-csv", "in.csv", _triage, writes=True),
    Case("mse", "lists.csv", _mse),
    Case("survey-csv", "svy.csv", _survey_csv),
    Case("survey-xlsx", "svy.xlsx", _survey_xlsx),
    Case("survey-sav", "svy.sav", _survey_sav),
    Case("prevalence", "svy.csv", _prevalence),
    Case("link", "a.csv", _link, writes=True),
    Case("forms-import-csv", "subs.csv", _forms_csv, writes=True),
    Case("forms-import-json", "subs.json", _forms_json, writes=True),
    Case("recruiters-check-offer", "offers.jsonl", _offers),
    Case("recruiters-match", "names.csv", _match, writes=True),
    Case("recruiters-risk", "agencies.csv", _risk),
    Case("recruiters-fees", "pay.csv", _fees),
    Case("supply-nodes", "nodes.csv", _supply),
    Case("supply-edges", "edges.csv", _supply_edges),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_row_past_the_limit_is_refused_at_the_limit_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    argv = case.make(tmp_path)
    monkeypatch.setenv(ENV, str(N))
    code, _out, err = _run(argv, capsys)
    assert code == 0, err
    (tmp_path / "out.csv").unlink(missing_ok=True)

    monkeypatch.setenv(ENV, str(N - 1))
    code, out, err = _run(argv, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vigil: ") and case.file in lines[0] and ENV in lines[0], lines[0]
    assert f"more than {N - 1:,} rows" in lines[0]
    assert out == ""
    if case.writes:
        assert not (tmp_path / "out.csv").exists()


def test_alerts_counts_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The weekly counts of ``vigil alerts detect`` (200 weeks: enough for its three years back)."""
    argv = _alerts(tmp_path)
    monkeypatch.setenv(ENV, str(WEEKS))
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    monkeypatch.setenv(ENV, str(WEEKS - 1))
    code, out, err = _run(argv, capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"vigil: counts.csv: more than {WEEKS - 1} rows, the most one import may hold ({ENV}); "
        "nothing was imported: split the file or raise the limit"]


def test_tvpra_list_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vigil.supply.tvpra import load_tvpra

    shipped = load_tvpra(None)
    monkeypatch.setenv(ENV, str(len(shipped)))
    assert len(_load_shipped_copy(tmp_path, load_tvpra)) == len(shipped)  # type: ignore[arg-type]
    monkeypatch.setenv(ENV, str(len(shipped) - 1))
    with pytest.raises(InputError, match=ENV):
        _load_shipped_copy(tmp_path, load_tvpra)
    monkeypatch.setenv(ENV, "1")
    assert load_tvpra(None) == shipped  # the shipped list is reference data, not an import


def _load_shipped_copy(tmp_path: Path, load: Callable[..., object]) -> object:
    from importlib import resources

    text = resources.files("vigil.supply").joinpath("data/tvpra_2022.csv").read_text(encoding="utf-8")
    (tmp_path / "tvpra.csv").write_text(text, "utf-8")
    return load(str(tmp_path / "tvpra.csv"))


def test_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert max_import_rows() == DEFAULT_MAX_ROWS == 20_000_000
    monkeypatch.setenv(ENV, "1_000")
    assert max_import_rows() == 1000
    for bad in ("0", "-3", "many", "1e6"):
        monkeypatch.setenv(ENV, bad)
        with pytest.raises(InputError, match=ENV):
            max_import_rows()


def test_a_bad_setting_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = _assess_csv(tmp_path)
    monkeypatch.setenv(ENV, "lots")
    code, out, err = _run(argv, capsys)
    assert code == 2 and out == ""
    expected = f"vigil: {ENV}: expected a whole number of rows of at least 1, got 'lots'"
    assert err.strip().splitlines() == [expected]
    assert not (tmp_path / "out.csv").exists()
