"""``vigil forms import``: Kobo and ODK Central exports screened like ``vigil assess``."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.forms.synth import answers, central_json, kobo_csv, records_jsonl
from vigil.errors import InputError
from vigil.forms import build_form, write_form
from vigil.forms.submissions import load_submissions, read_form, screen
from vigil.rules import available, load_ruleset, to_json

VIGIL = [sys.executable, "-m", "vigil"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VIGIL, *args], capture_output=True, text=True, timeout=300)


def _form(tmp_path: Path, rid: str, langs: tuple[str, ...] = ("en",), identity: bool = False) -> Path:
    path = tmp_path / f"{rid}.xlsx"
    write_form(build_form(load_ruleset(rid), langs, with_identity=identity), path)
    return path


@pytest.mark.parametrize("ruleset_id", available())
def test_round_trip_kobo_csv_and_central_json_give_what_assess_gives(tmp_path: Path, ruleset_id: str) -> None:
    rs = load_ruleset(ruleset_id)
    form = _form(tmp_path, ruleset_id, ("en", "fr"), identity=True)
    subs = answers(rs, 300, seed=sum(map(ord, ruleset_id)))
    kobo, central, jsonl = tmp_path / "kobo.csv", tmp_path / "central.json", tmp_path / "answers.jsonl"
    kobo_csv(subs, rs, kobo)
    central_json(subs, rs, central)
    records_jsonl(subs, jsonl)
    expected = run("assess", "--ruleset", ruleset_id, str(jsonl))
    assert expected.returncode == 0, expected.stderr
    for source in (kobo, central):
        got = run("forms", "import", "--form", str(form), str(source))
        assert got.returncode == 0, got.stderr
        assert got.stderr == ""
        assert got.stdout == expected.stdout  # byte for byte; the ids are the submission UUIDs
    assert [json.loads(line)["id"] for line in expected.stdout.splitlines()] == [s["uuid"] for s in subs]


def test_round_trip_csv_output_matches_assess_csv(tmp_path: Path) -> None:
    rs = load_ruleset("ilo-2012-forced-labour")
    form = _form(tmp_path, rs.id)
    subs = answers(rs, 50, seed=3)
    kobo_csv(subs, rs, tmp_path / "k.csv")
    records_jsonl(subs, tmp_path / "a.jsonl")
    out = tmp_path / "out.csv"
    got = run("forms", "import", "--form", str(form), "--format", "csv", "-o", str(out),
              str(tmp_path / "k.csv"))
    assert got.returncode == 0, got.stderr
    expected = run("assess", "--ruleset", rs.id, "--format", "csv", str(tmp_path / "a.jsonl"))
    assert out.read_text("utf-8") == expected.stdout


def _csv(path: Path, header: list[str], *rows: list[str], sep: str = ";") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=sep).writerows([header, *rows])
    return path


def test_not_asked_is_absent_not_no(tmp_path: Path) -> None:
    form = read_form(_form(tmp_path, "ilo-11"))
    header = ["_uuid", "consent", "interview/g_ILO11/ILO11.01", "interview/g_ILO11/ILO11.02"]
    src = _csv(tmp_path / "s.csv", header, ["u1", "yes", "", "dont_know"], ["u2", "yes", "no", "refused"])
    dets = [d.to_dict() for d in screen(form, src, "absent")]
    # u1: ILO11.01 not asked -> absent under --missing absent; dont_know -> unknown, so insufficient
    assert [d["outcome"] for d in dets] == ["insufficient", "insufficient"]
    unknown = [d.to_dict() for d in screen(form, src)]
    assert "ILO11.01" in unknown[0]["decided_by"] or unknown[0]["outcome"] == "insufficient"
    loaded = load_submissions(form, src)
    cols = loaded.builder.build()
    assert cols.codes["ILO11.01"].tolist() == [-1, 0]  # -1: the key is not carried


def test_duplicates_are_reported_and_counted_once(tmp_path: Path) -> None:
    form = _form(tmp_path, "ilo-11")
    src = _csv(tmp_path / "s.csv", ["_uuid", "consent", "interview/g_ILO11/ILO11.01"],
               ["u1", "yes", "yes"], ["u2", "yes", "no"], ["u1", "yes", "yes"], ["uuid:u2", "yes", "yes"])
    res = run("forms", "import", "--form", str(form), str(src))
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["id"] for line in res.stdout.splitlines()] == ["u1", "u2"]
    assert "s.csv, row 4: duplicate submission u1 (first at row 2); counted once" in res.stderr
    assert ("row 5: duplicate submission u2 (first at row 3) with different answers (the first is kept)"
            in res.stderr)


def test_without_consent_not_screened(tmp_path: Path) -> None:
    form = _form(tmp_path, "ilo-11")
    src = _csv(tmp_path / "s.csv", ["_uuid", "consent", "interview/g_ILO11/ILO11.01"],
               ["u1", "no", ""], ["u2", "yes", "yes"])
    res = run("forms", "import", "--form", str(form), str(src))
    assert [json.loads(line)["id"] for line in res.stdout.splitlines()] == ["u2"]
    assert "1 submission(s) without consent were not screened" in res.stderr


GOOD = ["u0", "yes", "no"]


@pytest.mark.parametrize(("header", "row", "message"), [
    (["_uuid", "consent", "interview/g_ILO11/ILO11.01"], ["u1", "yes", "maybe"],
     "s.csv, row 3, column interview/g_ILO11/ILO11.01: unknown choice 'maybe' (allowed: dont_know, no, "
     "refused, yes)"),
    (["_uuid", "consent", "interview/g_ILO11/ILO11.99"], ["u1", "yes", "yes"],
     "s.csv, row 2, column interview/g_ILO11/ILO11.99: answer to an unknown question"),
    (["consent", "interview/g_ILO11/ILO11.01", "_index"], ["yes", "yes", "2"],
     "s.csv, row 2: missing submission UUID"),
    (["_uuid", "consent", "interview/g_ILO11/ILO11.01"], ["u1", "yes"],
     "s.csv, row 3: 2 cells but 3 columns"),
    (["_uuid", "consent", "vigil_version"], ["u1", "yes", "2011.1"],  # GOOD is read as version "no"
     "s.csv, row 2, column vigil_version: collected with 'no', the form is for '2012.1'"),
])
def test_bad_csv_one_line_exit_2_nothing_written(tmp_path: Path, header: list[str], row: list[str],
                                                 message: str) -> None:
    # a good submission first: the file is all or nothing
    form = _form(tmp_path, "ilo-11")
    src = _csv(tmp_path / "s.csv", header, GOOD, row)
    out = tmp_path / "out.jsonl"
    res = run("forms", "import", "--form", str(form), "-o", str(out), str(src))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1
    assert message in res.stderr, res.stderr
    assert not out.exists()


def test_bad_json(tmp_path: Path) -> None:
    form = read_form(_form(tmp_path, "ilo-11"))
    bad = tmp_path / "b.json"
    bad.write_text('{"value": [{"__id": "uuid:a", "consent": "yes",}]}', "utf-8")
    with pytest.raises(InputError, match=r"b\.json: malformed JSON \(Expecting property name"):
        list(screen(form, bad))
    bad.write_text(json.dumps({"value": [{"__id": "uuid:a", "consent": "yes",
                                          "interview": {"g_ILO11": {"ILO11.01": "oui!"}}}]}), "utf-8")
    with pytest.raises(InputError, match=r"b\.json, value\[0\], key interview/g_ILO11/ILO11\.01: unknown"):
        list(screen(form, bad))
    bad.write_text(json.dumps({"count": 1, "results": [{"consent": "yes"}]}), "utf-8")
    with pytest.raises(InputError, match=r"b\.json, results\[0\]: missing submission UUID"):
        list(screen(form, bad))
    bad.write_text(json.dumps({"rows": []}), "utf-8")
    with pytest.raises(InputError, match="expected a Kobo 'results' list or an OData 'value' list"):
        list(screen(form, bad))


def test_kobo_json_and_label_headers_and_xlsx(tmp_path: Path) -> None:
    rs = load_ruleset("palermo-2000")
    form = read_form(_form(tmp_path, rs.id, ("en", "fr")))
    kobo = tmp_path / "k.json"
    kobo.write_text(json.dumps({"count": 1, "next": None, "previous": None, "results": [
        {"_id": 7, "_uuid": "k1", "consent": "yes", "interview/g_age/age": 16,
         "interview/g_about/act": "recruited transported", "interview/g_about/purpose": "servitude",
         "interview/g_about/means": "none", "meta/instanceID": "uuid:k1", "_attachments": [],
         "_validation_status": {}, "_geolocation": [None, None]}]}), "utf-8")
    det = next(iter(screen(form, kobo))).to_dict()
    assert det["id"] == "k1" and det["outcome"] == "positive"  # a child: no means needed
    # Kobo's "labels" export: headers and values are labels (here French, with group labels)
    en_q = "How old is the person (in completed years)?"
    fr_act = "Comment la personne est-elle arrivée dans ce travail ? A-t-elle été recrutée, transportée, " \
             "transférée, hébergée ou accueillie par quelqu'un ?"
    labels = _csv(tmp_path / "l.csv", ["_uuid", "La personne accepte-t-elle de répondre aux questions ?",
                                       en_q, f"Entretien/La personne et son travail/{fr_act}"],
                  ["l1", "Oui", "30", "accueil"], sep=",")
    det = next(iter(screen(form, labels))).to_dict()
    assert det["fired"] == ["facts.act=received"]
    # XLSX, as Kobo exports it
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["consent", "interview/g_age/age", "interview/g_about/act", "interview/g_about/act/recruited",
               "_uuid", "_index"])
    ws.append(["yes", 40, "recruited", 1, "x1", 1])
    wb.save(tmp_path / "k.xlsx")
    det = next(iter(screen(form, tmp_path / "k.xlsx"))).to_dict()
    assert det["id"] == "x1" and det["outcome"] == "insufficient"


def test_identity_fields_are_never_screened_or_printed(tmp_path: Path) -> None:
    form = _form(tmp_path, "ilo-11", identity=True)
    src = _csv(tmp_path / "s.csv", ["_uuid", "consent", "interview/identity/person_name",
                                    "interview/identity/phone", "interview/g_ILO11/ILO11.07"],
               ["u1", "yes", "Amina Example", "+1555", "yes"])
    res = run("forms", "import", "--form", str(form), str(src))
    assert res.returncode == 0, res.stderr
    assert "Amina" not in res.stdout and "1555" not in res.stdout
    assert json.loads(res.stdout)["outcome"] == "risk"


def test_a_form_for_another_rule_set_version_is_refused(tmp_path: Path) -> None:
    form = _form(tmp_path, "ilo-11")
    wb = openpyxl.load_workbook(form)
    ws = wb["survey"]
    for row in ws.iter_rows():
        if row[1].value == "vigil_version":
            row[[c.value for c in ws[1]].index("calculation")].value = "'2011.1'"
    wb.save(form)
    with pytest.raises(InputError, match=r"the form is for ilo-11 version 2011\.1, the rule set is ilo-11 "
                                         r"version 2012\.1: export the form again"):
        read_form(form)


def test_the_output_is_the_assess_shape(tmp_path: Path) -> None:
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    form = read_form(_form(tmp_path, rs.id))
    src = _csv(tmp_path / "s.csv", ["_uuid", "consent", "interview/g_DR/DR01"], ["a", "yes", "yes"])
    det = next(iter(screen(form, src))).to_dict()
    assert sorted(det) == ["ask_next", "decided_by", "dimensions", "fired", "id", "label", "outcome",
                           "ruleset", "verified", "version"]
    assert to_json(det).startswith('{"ask_next":')
