"""Repeat groups: a visit interviewing several people, one submission, one screening per person,
from Kobo's XLSX and API JSON and from ODK Central's OData JSON and CSV zip."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.forms.synth import (
    central_json_repeat,
    central_zip_repeat,
    kobo_json_repeat,
    kobo_xlsx_repeat,
    visit_records_jsonl,
    visits,
)
from vigil.errors import InputError
from vigil.forms import build_form, write_form, xform
from vigil.forms.submissions import load_submissions, read_form, screen
from vigil.rules import load_ruleset

VIGIL = [sys.executable, "-m", "vigil"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VIGIL, *args], capture_output=True, text=True, timeout=300)


def _form(tmp_path: Path, rid: str, repeat: str = "workers", langs: tuple[str, ...] = ("en",)) -> Path:
    path = tmp_path / f"{rid}-{repeat}.xlsx"
    write_form(build_form(load_ruleset(rid), langs, with_identity=True, repeat=repeat), path)
    return path


def test_the_repeat_form_puts_consent_and_interview_in_the_repeat_group() -> None:
    form = build_form(load_ruleset("ilo-2012-forced-labour"), ["en", "ar"], repeat="workers")
    kinds = [(r["type"], r["name"]) for r in form.survey]
    assert kinds[:4] == [("note", "private_note"), ("begin_repeat", "workers"), ("note", "consent_note"),
                         ("select_one consent", "consent")]
    assert kinds[-3:] == [("end_repeat", ""), ("calculate", "vigil_ruleset"), ("calculate", "vigil_version")]
    assert form.survey[1]["label::Arabic (ar)"] == "الشخص الذي تُجرى معه المقابلة"
    xml = xform(form)  # pyxform accepts it without a warning
    assert '<repeat nodeset="/data/workers">' in xml
    assert 'nodeset="/data/workers/interview" relevant=" ../consent  = \'yes\'"' in xml


@pytest.mark.parametrize("name", ["interview", "consent", "g_DR", "1x", "a b", ""])
def test_a_repeat_name_the_form_uses_or_not_an_xml_name_is_refused(name: str) -> None:
    with pytest.raises(InputError, match="--repeat"):
        build_form(load_ruleset("ilo-11"), ["en"], repeat=name)


@pytest.mark.parametrize("ruleset_id", ["ilo-2012-forced-labour", "palermo-2000", "c138-c182"])
def test_round_trip_of_a_repeat_form_in_four_export_shapes(tmp_path: Path, ruleset_id: str) -> None:
    rs = load_ruleset(ruleset_id)
    form = _form(tmp_path, ruleset_id)
    vs = visits(rs, 80, seed=len(ruleset_id))
    assert any(not g for _, g in vs) and any(len(g) > 1 for _, g in vs)
    assert any(p["consent"] == "no" for _, g in vs for p in g)
    jsonl = tmp_path / "people.jsonl"
    visit_records_jsonl(vs, jsonl)
    expected = run("assess", "--ruleset", ruleset_id, str(jsonl))
    assert expected.returncode == 0, expected.stderr
    assert json.loads(expected.stdout.splitlines()[0])["id"].endswith("/workers[1]")
    shapes = {"kobo.xlsx": kobo_xlsx_repeat, "kobo.json": kobo_json_repeat,
              "central.json": central_json_repeat, "central.zip": central_zip_repeat}
    refused = sum(p["consent"] == "no" for _, g in vs for p in g)
    nobody = sum(not g for _, g in vs)
    for file, write in shapes.items():
        src = tmp_path / file
        write(vs, rs, src)
        got = run("forms", "import", "--form", str(form), str(src))
        assert got.returncode == 0, (file, got.stderr)
        assert got.stdout == expected.stdout, file
        assert f"{refused} person(s) (workers) without consent were not screened" in got.stderr
        assert f"{nobody} submission(s) with nobody in the repeat group workers" in got.stderr


def test_a_repeat_inside_groups_and_relative_central_columns(tmp_path: Path) -> None:
    """A hand-adapted form: the repeat inside a group; Central keys the repeat rows without the
    non-repeat groups around it."""
    rs = load_ruleset("ilo-11")
    built = build_form(rs, ["en"], repeat="people")
    survey = built.survey
    at = next(i for i, r in enumerate(survey) if r["type"] == "begin_repeat")
    survey.insert(at, {"type": "begin_group", "name": "visit", "label::English (en)": "Visit"})
    end = next(i for i, r in enumerate(survey) if r["type"] == "end_repeat")
    survey.insert(end + 1, {"type": "end_group", "name": ""})
    path = tmp_path / "f.xlsx"
    write_form(built, path)
    spec = read_form(path)
    assert spec.repeat == ("visit", "people")
    src = tmp_path / "k.json"
    src.write_text(json.dumps({"results": [{"_uuid": "v1", "visit/people": [
        {"visit/people/consent": "yes", "visit/people/interview/g_ILO11/ILO11.07": "yes"},
        {"visit/people/consent": "yes", "visit/people/interview/g_ILO11/ILO11.07": "no"}]}]}), "utf-8")
    dets = [d.to_dict() for d in screen(spec, src)]
    assert [(d["id"], d["outcome"]) for d in dets] == [("v1/people[1]", "risk"),
                                                       ("v1/people[2]", "insufficient")]


def _zip(path: Path, main: str, repeat: str | None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("f.csv", main)
        if repeat is not None:
            zf.writestr("f-workers.csv", repeat)
    return path


MAIN = "KEY,vigil_version\nuuid:a,2012.1\n"


@pytest.mark.parametrize(("main", "repeat", "message"), [
    (MAIN, "consent,interview-g_ILO11-ILO11.07,PARENT_KEY,KEY\nyes,maybe,uuid:a,uuid:a/workers[1]\n",
     "z.zip: f-workers.csv, row 2, column interview-g_ILO11-ILO11.07: unknown choice 'maybe'"),
    (MAIN, "consent,PARENT_KEY,KEY\nyes,uuid:b,uuid:b/workers[1]\n",
     "z.zip: f-workers.csv, row 2, column PARENT_KEY: no submission with KEY uuid:b in f.csv"),
    (MAIN, "consent,PARENT_KEY,KEY\nyes,uuid:a,uuid:c/workers[1]\n",
     "z.zip: f-workers.csv, row 2, column KEY: KEY 'uuid:c/workers[1]' is not under PARENT_KEY 'uuid:a'"),
    (MAIN, None, "z.zip: the form has one repeat group (workers): expected one repeat table"),
    ("vigil_version\n2012.1\n", "consent,PARENT_KEY,KEY\n", "z.zip: f.csv, row 2, column KEY: no KEY"),
    ("KEY,interview-g_ILO11-ILO11.07\nuuid:a,yes\n", "consent,PARENT_KEY,KEY\nyes,uuid:a,uuid:a/workers[1]\n",
     "z.zip: f.csv, row 2, column interview-g_ILO11-ILO11.07: ILO11.07 is asked inside the repeat group"),
])
def test_a_bad_central_zip_is_refused_in_one_line(tmp_path: Path, main: str, repeat: str | None,
                                                  message: str) -> None:
    form = _form(tmp_path, "ilo-11")
    src = _zip(tmp_path / "z.zip", main, repeat)
    out = tmp_path / "out.jsonl"
    res = run("forms", "import", "--form", str(form), "-o", str(out), str(src))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and message in res.stderr, res.stderr
    assert not out.exists()


def test_bad_repeat_json_and_xlsx(tmp_path: Path) -> None:
    spec = read_form(_form(tmp_path, "ilo-11"))
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"value": [{"__id": "uuid:a", "workers@odata.navigationLink": "x"}]}), "utf-8")
    with pytest.raises(InputError, match=r"b\.json, value\[0\], key workers@odata\.navigationLink: the "
                                         r"repeat group workers is not expanded .*\$expand=\*"):
        list(screen(spec, bad))
    bad.write_text(json.dumps({"value": [{"__id": "uuid:a", "workers": [
        {"consent": "yes"}, {"consent": "yes", "interview": {"g_ILO11": {"ILO11.07": "oui"}}}]}]}), "utf-8")
    with pytest.raises(InputError, match=r"b\.json, value\[0\], key workers\[1\], key "
                                         r"workers/interview/g_ILO11/ILO11\.07: unknown choice 'oui'"):
        list(screen(spec, bad))
    bad.write_text(json.dumps({"results": [{"_uuid": "a", "people": [{"people/consent": "yes"}]}]}), "utf-8")
    with pytest.raises(InputError, match=r"key people: a repeat group people \(the form's is workers\)"):
        list(screen(spec, bad))
    # a CSV cannot carry a repeat group's answers
    (tmp_path / "c.csv").write_text("_uuid,consent\na,yes\n", "utf-8")
    with pytest.raises(InputError, match=r"c\.csv: the form has a repeat group \(workers\).*XLSX"):
        list(screen(spec, tmp_path / "c.csv"))
    # Kobo XLSX: a repeat row whose _parent_index matches no submission
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["_uuid", "_index"])
    ws.append(["a", 1])
    rep = wb.create_sheet("workers")
    rep.append(["workers/consent", "_index", "_parent_index"])
    rep.append(["yes", 1, 1])
    rep.append(["yes", 2, 7])
    wb.save(tmp_path / "k.xlsx")
    with pytest.raises(InputError, match=r"k\.xlsx, sheet workers, row 3, column _parent_index: no "
                                         r"submission with _index 7 on sheet Sheet"):
        list(screen(spec, tmp_path / "k.xlsx"))


def test_a_form_without_repeat_refuses_repeat_data(tmp_path: Path) -> None:
    path = tmp_path / "flat.xlsx"
    write_form(build_form(load_ruleset("ilo-11"), ["en"]), path)
    spec = read_form(path)
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"value": [{"__id": "uuid:a", "workers": [{"consent": "yes"}]}]}), "utf-8")
    with pytest.raises(InputError, match=r"key workers: a repeat group workers \(the form has none\)"):
        list(screen(spec, bad))
    z = _zip(tmp_path / "z.zip", MAIN, "consent,PARENT_KEY,KEY\nyes,uuid:a,uuid:a/workers[1]\n")
    with pytest.raises(InputError, match=r"z\.zip: repeat table f-workers\.csv, but the form has no repeat"):
        list(screen(spec, z))


def test_a_duplicate_visit_counts_once_and_kept_records_name_their_submission(tmp_path: Path) -> None:
    rs = load_ruleset("ilo-11")
    spec = read_form(_form(tmp_path, rs.id))
    vs = visits(rs, 10, seed=4)
    vs.append(vs[2])
    src = tmp_path / "k.json"
    kobo_json_repeat(vs, rs, src)
    warnings: list[str] = []
    loaded = load_submissions(spec, src, warnings.append, keep=True)
    assert loaded.duplicates == 1
    assert any(f"results[10]: duplicate submission {vs[2][0]} (first at results[2]); counted once" in w
               for w in warnings)
    consented = [(vid, p) for vid, g in vs[:10] for p in g if p["consent"] == "yes"]
    assert [(r["id"], uuid) for r, uuid, _, _ in loaded.records] == [(p["__record"]["id"], vid)
                                                                  for vid, p in consented]


def test_a_central_zip_with_media_files_is_read(tmp_path: Path) -> None:
    rs = load_ruleset("palermo-2000")
    spec = read_form(_form(tmp_path, rs.id))
    vs = visits(rs, 5, seed=9)
    central_zip_repeat(vs, rs, tmp_path / "c.zip")
    with zipfile.ZipFile(tmp_path / "c.zip", "a") as zf:
        zf.writestr("media/1700000000.jpg", b"\xff\xd8\xff")
    with zipfile.ZipFile(tmp_path / "c.zip") as zf:
        assert sorted(zf.namelist())[-1] == "vigil-palermo-2000.csv"
        header = io.TextIOWrapper(zf.open("vigil-palermo-2000-workers.csv"), "utf-8").readline()
    assert header.startswith("consent,interview-g_age-age,")
    ids = [d.to_dict()["id"] for d in screen(spec, tmp_path / "c.zip")]
    assert ids == [p["__record"]["id"] for _, g in vs for p in g if p["consent"] == "yes"]
