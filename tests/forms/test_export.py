"""``vigil forms export``: every shipped rule set as an XLSForm that pyxform converts cleanly."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from vigil.errors import InputError
from vigil.forms import build_form, form_languages, xform
from vigil.forms.export import column_language, relevance
from vigil.forms.questions import Guard, plan
from vigil.rules import available, i18n, load_ruleset

VIGIL = [sys.executable, "-m", "vigil"]
COMBOS = [list(c) for n in range(1, len(form_languages()) + 1)
          for c in itertools.combinations(form_languages(), n)]


def test_a_language_is_offered_only_with_all_its_wording() -> None:
    from vigil.forms.export import wording

    offered = form_languages()
    assert offered == ["en", "fr", "es", "ar"]
    for code in wording()["languages"]:
        assert code == "en" or (i18n.i18n_dir() / f"{code}.yaml").is_file()


def test_spanish_and_arabic_labels_come_from_the_rule_set_wording() -> None:
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    data = build_form(rs, ["en", "fr", "es", "ar"]).to_xlsx()
    survey = _rows(data, "survey")
    cd02 = next(r for r in survey if r["name"] == "CD02")
    assert cd02["label::Spanish (es)"] == i18n.indicator_text(rs, "CD02", "es")[1]
    assert cd02["label::Arabic (ar)"] == i18n.indicator_text(rs, "CD02", "ar")[1]
    assert cd02["hint::Spanish (es)"] == "CD02: servidumbre por deudas"
    assert cd02["hint::Arabic (ar)"] == "CD02: عبودية الدين"
    choices = {(r["list_name"], r["name"]): r for r in _rows(data, "choices")}
    assert choices[("answer", "yes")]["label::Spanish (es)"] == "Sí"
    assert choices[("answer", "dont_know")]["label::Arabic (ar)"] == "لا أعرف"
    # every label and hint cell is filled in every language: no silent English
    for row in survey + list(choices.values()):
        for kind in ("label", "hint"):
            english = row.get(f"{kind}::English (en)")
            for lang in ("es", "ar"):
                if english:
                    assert row[f"{kind}::{column_language(lang)}"], (row["name"], kind, lang)


@pytest.mark.parametrize("ruleset_id", available())
def test_every_rule_set_in_every_language_combination_converts_without_warning(ruleset_id: str) -> None:
    rs = load_ruleset(ruleset_id)
    for langs in COMBOS:
        for identity in (False, True):
            form = build_form(rs, langs, with_identity=identity)
            warnings: list[str] = []
            result = convert(xlsform=form.to_xlsx(), warnings=warnings, file_type=".xlsx")
            assert warnings == [], (langs, identity)
            assert f'id="vigil-{rs.id}-{rs.version}"' in result.xform
            for lang in langs:
                assert f'lang="{column_language(lang)}"' in result.xform


@pytest.mark.parametrize("ruleset_id", available())
def test_odk_validate_accepts_every_rule_set(ruleset_id: str) -> None:
    # ODK Validate (the Java validator pyxform ships) runs the form's XPath: relevance, constraints
    form = build_form(load_ruleset(ruleset_id), form_languages(), with_identity=True)
    warnings: list[str] = []
    convert(xlsform=form.to_xlsx(), warnings=warnings, file_type=".xlsx", validate=True)
    assert warnings == []


def _rows(form_bytes: bytes, sheet: str) -> list[dict[str, object]]:
    import io

    ws = openpyxl.load_workbook(io.BytesIO(form_bytes))[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_one_question_per_questionnaire_item_with_the_four_answers() -> None:
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    data = build_form(rs, ["en", "fr"]).to_xlsx()
    survey = _rows(data, "survey")
    questions = [r for r in survey if str(r["type"]).startswith("select_one answer")]
    assert [r["name"] for r in questions] == [i.id for i in rs.indicators]
    cd02 = next(r for r in questions if r["name"] == "CD02")
    assert cd02["label::English (en)"] == rs.by_id["CD02"].question
    assert cd02["label::French (fr)"] == i18n.indicator_text(rs, "CD02", "fr")[1]
    assert cd02["hint::French (fr)"] == "CD02: servitude pour dettes"
    assert not any(r.get("required") for r in questions)  # unanswered stays "not asked"
    choices = [(r["list_name"], r["name"]) for r in _rows(data, "choices")]
    assert [n for ln, n in choices if ln == "answer"] == ["yes", "no", "dont_know", "refused"]
    labels = {r["name"]: r["label::French (fr)"] for r in _rows(data, "choices")
              if r["list_name"] == "answer"}
    assert labels["dont_know"] == "Ne sait pas"
    settings = _rows(data, "settings")[0]
    assert settings["form_id"] == "vigil-ilo-ec-2009-adult-labour-2009.1"
    assert settings["version"] == "2009.1"


def test_consent_and_privacy_come_first_and_gate_the_rest() -> None:
    form = build_form(load_ruleset("ilo-11"), ["en"])
    names = [r["name"] for r in form.survey]
    assert names[:4] == ["private_note", "consent_note", "consent", "interview"]
    assert form.survey[0]["type"] == form.survey[1]["type"] == "note"
    assert form.survey[2]["required"] == "yes"
    assert form.survey[3]["relevant"] == "${consent} = 'yes'"
    # every question is inside the interview group, which closes before the two calculates
    assert form.survey[-3]["type"] == "end_group"
    assert [r["name"] for r in form.survey[-2:]] == ["vigil_ruleset", "vigil_version"]


def test_no_identity_field_unless_asked() -> None:
    rs = load_ruleset("ilo-11")
    plain = build_form(rs, ["en"])
    assert not {"person_name", "phone", "document_number"} & {r["name"] for r in plain.survey}
    assert not any("sensitive" in k for r in plain.survey for k in r)
    with_id = build_form(rs, ["en"], with_identity=True)
    sensitive = [r["name"] for r in with_id.survey if r.get("bind::vigil:sensitive") == "true"]
    assert sensitive == ["person_name", "phone", "document_number"]
    xml = xform(with_id)
    assert 'xmlns:vigil="urn:vigil:xforms"' in xml
    assert xml.count('vigil:sensitive="true"') == 3


def test_forced_labour_penalties_are_follow_ups_per_stage() -> None:
    rs = load_ruleset("ilo-2012-forced-labour")
    groups = {g.name: g for g in plan(rs)}
    d1p = groups["g_D1_P"]
    assert [i.key for i in d1p.items][:2] == ["D1.PN01", "D1.PN02"]
    assert d1p.guards == (Guard(keys=tuple(i.id for i in rs.indicators if i.dimension == "D1")),)
    form = build_form(rs, ["en"])
    head = next(r for r in form.survey if r["name"] == "g_D1_P")
    assert head["relevant"].startswith("(selected(${UR01}, 'yes') or selected(${UR01}, 'dont_know')")
    assert "UR07" in head["relevant"] and "WD01" not in head["relevant"]
    # the child facts are asked unless the person is known to be an adult
    child = next(r for r in form.survey if r["name"] == "parent_in_forced_labour")
    assert child["relevant"] == "not(${age} >= 18)"
    # the bare penalty keys are never asked: a penalty is always tied to its stage
    assert "PN01" not in {r["name"] for r in form.survey}


def test_follow_ups_of_other_rule_sets() -> None:
    fair = build_form(load_ruleset("fair-recruitment-2019"), ["en"])
    repay = next(r for r in fair.survey if r["name"] == "fee_repayment")
    assert repay["type"] == "select_multiple fact_fee_repayment"
    assert "selected(${RF}, 'yes')" in repay["relevant"] and "selected(${IC}, 'yes')" in repay["relevant"]
    c138 = build_form(load_ruleset("c138-c182-art2-4"), ["en"])
    rel = {r["name"]: r.get("relevant", "") for r in c138.survey}
    assert rel["age"] == ""
    assert rel["worst_form"] == "not(${age} >= 18)"
    assert rel["approved_training"] == "not(${age} >= 14)"  # at 14 or over the outcome is decided
    # no follow-up structure: a flat questionnaire, no relevance but consent's
    for rid in ("ilo-11", "ilo-ec-2009-adult-labour"):
        form = build_form(load_ruleset(rid), ["en"])
        assert [r["name"] for r in form.survey if r.get("relevant")] == ["interview"]


def test_relevance_of_guards() -> None:
    asked = frozenset({"age", "A", "B"})
    assert relevance([], asked) == ""
    assert relevance([Guard(adult_from=18), Guard(adult_from=15)], asked) == "not(${age} >= 15)"
    expected = "(selected(${A}, 'yes') or selected(${A}, 'dont_know'))"
    assert relevance([Guard(keys=("A", "Z"))], asked) == expected
    assert relevance([Guard(adult_from=18)], frozenset()) == ""


def test_a_language_without_wording_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="no form wording in 'de'"):
        build_form(load_ruleset("ilo-11"), ["en", "de"])
    # a French file that lacks one indicator: refused, never English inside a French form
    fr = (i18n.i18n_dir() / "fr.yaml").read_text("utf-8")
    (tmp_path / "fr.yaml").write_text(fr.replace(
        fr[fr.index("      ILO11.09:"):fr.index("      ILO11.10:")], ""), "utf-8")
    monkeypatch.setattr(i18n, "i18n_dir", lambda: tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(InputError, match=r"ilo-11: no fr wording for indicators\.ILO11\.09\.label"):
            build_form(load_ruleset("ilo-11"), ["en", "fr"])
        build_form(load_ruleset("ilo-11"), ["en"])
    finally:
        i18n.catalogue.cache_clear()


def test_cli_export_writes_a_form_and_refuses_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "f" / "form.xlsx"
    res = subprocess.run([*VIGIL, "forms", "export", "--ruleset", "ilo-11", "--lang", "en,fr,es,ar",
                          "--with-identity", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    header = [c for c in _rows(out.read_bytes(), "survey")[0] if str(c).startswith("label::")]
    assert header == ["label::English (en)", "label::French (fr)",
                      "label::Spanish (es)", "label::Arabic (ar)"]
    assert _rows(out.read_bytes(), "settings")[0]["form_id"] == "vigil-ilo-11-2012.1"
    bad = tmp_path / "bad.xlsx"
    res = subprocess.run([*VIGIL, "forms", "export", "--ruleset", "ilo-11", "--lang", "en,xx",
                          "-o", str(bad)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "no form wording in 'xx'" in res.stderr
    assert not bad.exists()
    res = subprocess.run([*VIGIL, "forms", "export", "--ruleset", "nope", "-o", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "unknown rule set 'nope'" in res.stderr
    assert not bad.exists()
