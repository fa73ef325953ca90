"""One question definition (issue 13): the screening page and ``vigil forms export`` ask the
same questions, read from the rule set's questionnaire (``vigil.forms.questions``); a change to
the rule set changes both. The page can show each question in the worker's language beside the
interviewer's (``worker_lang``), with the worker's ``lang`` and ``dir``."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from openpyxl import load_workbook

from vigil.forms import build_form
from vigil.forms.export import xform
from vigil.rules import i18n, load_ruleset
from vigil.rules.loader import load_file, sets_dir
from vigil.server.cases import screening as screening_service

pytestmark = pytest.mark.django_db


def logged_in(user: Any, lang: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(user)
    return c


def page_keys(text: str) -> list[str]:
    """The record keys of the page's questions, in page order (their radio names)."""
    names = re.findall(r'name="a-([^"]+)" value="yes"', text)
    return names


def form_question_keys(form: Any, rs: Any) -> list[str]:
    """The form's indicator questions: its yes/no/don't know/refused rows named by an indicator
    key of the rule set (facts such as ``act`` are asked by the form only)."""
    keys = rs.record_keys()
    return [
        row["name"] for row in form.survey if row.get("type") == "select_one answer" and row["name"] in keys
    ]


@pytest.mark.parametrize("rid", [rid for rid, _v, _t in screening_service.screenable()])
def test_page_asks_what_the_form_asks(rid, users, cases):
    """For every screenable rule set: the page's question keys and wording are the form's
    indicator questions, in the same order (``D1.PN04`` per stage for the forced-labour set)."""
    rs = load_ruleset(rid)
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    text = htmllib.unescape(logged_in(users["inspector"]).get(f"/screenings/{s.pk}/").content.decode())
    form = build_form(rs, ["en"])
    keys = form_question_keys(form, rs)
    assert keys and page_keys(text) == keys
    for row in form.survey:
        if row["name"] in keys:
            assert row["label::English (en)"] in text, row["name"]


def test_forced_labour_penalties_are_asked_per_stage_and_saved(users, cases):
    rid = "ilo-2012-forced-labour"
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    c = logged_in(users["inspector"])
    text = c.get(f"/screenings/{s.pk}/").content.decode()
    assert 'name="a-D1.PN04"' in text and 'name="a-D3.PN04"' in text
    assert 'name="a-PN04"' not in text  # the bare key is never asked (the form does not either)
    r = c.post(f"/screenings/{s.pk}/", {"version": s.version, "a-D1.PN04": "yes", "a-PN04": "yes"})
    assert r.status_code == 200
    s.refresh_from_db()
    assert s.answers == {"D1.PN04": True}


def _copied_ruleset(tmp_path: Path, question: str, added: str) -> Path:
    """ilo-11 copied under its own id with one question reworded and one indicator added."""
    data = yaml.safe_load((sets_dir() / "ilo-11.yaml").read_text("utf-8"))
    first = data["indicators"][0]
    first["question"] = question
    new = dict(data["indicators"][-1])
    new.update(id="ILO11.99", label="a test indicator", question=added)
    data["indicators"].append(new)
    path = tmp_path / "ilo-11.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_a_changed_rule_set_changes_page_and_form_together(users, cases, tmp_path, monkeypatch):
    rid = "ilo-11"
    shipped = load_ruleset(rid)
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    c = logged_in(users["inspector"])
    before = htmllib.unescape(c.get(f"/screenings/{s.pk}/").content.decode())
    reworded, added = "Did anyone test this reworded question on you?", "Is this the added question?"
    assert reworded not in before and added not in before
    changed = load_file(_copied_ruleset(tmp_path, reworded, added))
    first = changed.indicators[0].id
    monkeypatch.setattr(
        screening_service,
        "load_ruleset",
        lambda ruleset_id, *a, **k: changed if ruleset_id == rid else load_ruleset(ruleset_id),
    )
    after = htmllib.unescape(c.get(f"/screenings/{s.pk}/").content.decode())
    form = build_form(changed, ["en"])
    xform(form)  # still a valid XLSForm
    rows = {row["name"]: row for row in form.survey}
    # the form: the reworded question and the added one, as pyxform reads them
    assert rows[first]["label::English (en)"] == reworded and rows["ILO11.99"]["label::English (en)"] == added
    wb = load_workbook(__import__("io").BytesIO(form.to_xlsx()))
    labels = [r[2] for r in wb["survey"].iter_rows(min_row=2, values_only=True)]
    assert reworded in labels and added in labels
    # the page: the same, with the same keys in the same order
    assert reworded in after and added in after
    assert shipped.indicators[0].question not in after
    assert page_keys(after) == form_question_keys(form, changed)
    assert page_keys(after)[-1] == "ILO11.99" and "ILO11.99" not in page_keys(before)
    # an answer to the added question is saved like any other
    r = c.post(f"/screenings/{s.pk}/", {"version": s.version, "a-ILO11.99": "yes"})
    assert r.status_code == 200
    s.refresh_from_db()
    assert s.answers == {"ILO11.99": True}


def test_two_languages_arabic_beside_english(users, cases):
    rid = "ilo-ec-2009-adult-labour"
    rs = load_ruleset(rid)
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    c = logged_in(users["inspector"])
    text = htmllib.unescape(c.get(f"/screenings/{s.pk}/?worker_lang=ar").content.decode())
    assert '<html lang="en" dir="ltr">' in text
    dr01_en = rs.by_id["DR01"].question
    dr01_ar = i18n.indicator_text(rs, "DR01", "ar")[1]
    assert dr01_ar and dr01_ar != dr01_en
    block = text[text.index('id="q-DR01"') :]
    block = block[: block.index("</div>", block.index('class="worker-text"'))]
    assert dr01_en in block
    assert f'<p class="worker-text" lang="ar" dir="rtl">{dr01_ar}</p>' in block
    assert '<option value="ar" lang="ar" selected>' in text
    # the group label in Arabic too (the form's wording)
    dim_ar = i18n.dimension_label(rs, rs.indicators[0].dimension, "ar")
    assert f'<span class="worker-text" lang="ar" dir="rtl">{dim_ar}</span>' in text
    # without a worker language, or with the page's own, one column only; an unknown one ignored
    for query in ("", "?worker_lang=en", "?worker_lang=xx", "?worker_lang=" + "a" * 500):
        plain = c.get(f"/screenings/{s.pk}/{query}").content.decode()
        assert 'class="worker-text"' not in plain, query


def test_two_languages_spanish_page_english_worker(users, cases):
    rid = "ilo-ec-2009-adult-labour"
    rs = load_ruleset(rid)
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    c = logged_in(users["inspector"], "es")
    text = htmllib.unescape(c.get(f"/screenings/{s.pk}/?worker_lang=en").content.decode())
    assert '<html lang="es" dir="ltr">' in text
    assert i18n.indicator_text(rs, "DR01", "es")[1] in text
    assert f'<p class="worker-text" lang="en" dir="ltr">{rs.by_id["DR01"].question}</p>' in text
    # and an Arabic page with a French worker: the worker's column is left to right
    c = logged_in(users["inspector"], "ar")
    text = htmllib.unescape(c.get(f"/screenings/{s.pk}/?worker_lang=fr").content.decode())
    assert '<html lang="ar" dir="rtl">' in text
    fr = i18n.indicator_text(rs, "DR01", "fr")[1]
    assert f'<p class="worker-text" lang="fr" dir="ltr">{fr}</p>' in text


def test_stage_less_answers_of_the_guided_interview_stay_on_the_page(users, cases):
    """An earlier guided interview asked a penalty without its stage (``PN04``, counted for every
    stage); the full page, which asks per stage, still shows that answer and lets it be changed."""
    rid = "ilo-2012-forced-labour"
    s = screening_service.create(cases["a_inspector"], rid, users["inspector"], answers={"PN04": True})
    c = logged_in(users["inspector"])
    text = c.get(f"/screenings/{s.pk}/").content.decode()
    block = text[text.index('id="g_unstaged"') :]
    assert 'name="a-PN04" value="yes" checked' in block
    assert 'name="a-PN01"' not in text  # only what was answered without a stage
    r = c.post(f"/screenings/{s.pk}/", {"version": s.version, "a-PN04": "no", "a-D2.PN04": "yes"})
    assert r.status_code == 200
    s.refresh_from_db()
    assert s.answers == {"PN04": False, "D2.PN04": True}
    es = logged_in(users["inspector"], "es")
    assert "etapa" in es.get(f"/screenings/{s.pk}/").content.decode().split('id="g_unstaged"')[1][:300]


def test_guided_interview_worker_question_carries_its_direction(users, cases):
    rid = "ilo-ec-2009-adult-labour"
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    text = htmllib.unescape(
        logged_in(users["inspector"]).get(f"/screenings/{s.pk}/guided/?worker=ar").content.decode()
    )
    match = re.search(
        r'<p class="worker-question" id="worker-question" lang="ar" dir="rtl">([^<]+)</p>', text
    )
    assert match and any("\u0600" <= ch <= "\u06ff" for ch in match.group(1))
