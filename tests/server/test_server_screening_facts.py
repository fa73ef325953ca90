"""The screening page asks the questionnaire's facts too (issue 13): the group ``g_about`` of
``vigil.forms.questions.plan`` (``worst_form``, ``parent_in_forced_labour``, ``act``,
``fee_repayment``...), worded as ``vigil forms export`` words it, each value checked against its
kind, stored in ``Screening.facts`` and read by the engine. The API takes and returns them too."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.test import Client
from tests.server.conftest import client_for

from vigil.forms import build_form
from vigil.forms.export import column_language
from vigil.rules import load_ruleset
from vigil.server.audit.models import AuditEntry
from vigil.server.cases import screening as screening_service

pytestmark = pytest.mark.django_db

FL = "ilo-2012-forced-labour"
CHILD = "ilo-ec-2009-child-labour"
FEES = "fair-recruitment-2019"


def logged_in(user: Any, lang: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(user)
    return c


def _page(c: Client, url: str) -> str:
    r = c.get(url)
    assert r.status_code == 200
    return htmllib.unescape(r.content.decode())


def _fact_keys(text: str) -> list[str]:
    return re.findall(r'class="question fact[^"]*" id="f-([^"]+)"', text)


@pytest.mark.parametrize("rid", [rid for rid, _v, _t in screening_service.screenable()])
def test_the_page_asks_the_facts_the_form_asks(rid, users, cases):
    """Same facts, same order and the same question, hint and choice labels as the XLSForm
    (every screenable rule set; those without facts show none)."""
    rs = load_ruleset(rid)
    s = screening_service.start(cases["a_inspector"], rid, users["inspector"])
    text = _page(logged_in(users["inspector"]), f"/screenings/{s.pk}/")
    form = build_form(rs, ["en"])
    lang = column_language("en")
    keys = [row["name"] for row in form.survey if row["name"] in screening_service.fact_keys(rs)]
    assert _fact_keys(text) == keys
    for row in form.survey:
        if row["name"] in keys:
            assert row[f"label::{lang}"] in text and row[f"hint::{lang}"] in text, row["name"]
    for choice in form.choices:
        if choice["list_name"].removeprefix("fact_") in keys and choice["name"] not in (
            "dont_know",
            "refused",
        ):
            assert choice[f"label::{lang}"] in text, choice


def test_facts_asked_and_the_determination_follows(users, cases):
    """A child (14) in a worst form of child labour: ``worst_form`` decides ilo-2012 (positive);
    back to not known, the outcome is insufficient again."""
    s = screening_service.start(cases["a_inspector"], FL, users["inspector"])
    c = logged_in(users["inspector"])
    text = _page(c, f"/screenings/{s.pk}/")
    assert _fact_keys(text) == ["parent_in_forced_labour", "worst_form"]
    assert "Asked when the person is younger than 18 or the age is not known." in text
    r = c.post(
        f"/screenings/{s.pk}/",
        {
            "version": s.version,
            "age": "14",
            "f-worst_form-shown": "1",
            "f-worst_form": "slavery_or_similar",
            "f-parent_in_forced_labour": "unknown",
        },
    )
    assert r.status_code == 200, r.content[:500]
    s.refresh_from_db()
    assert s.facts == {"worst_form": ["slavery_or_similar"]}
    assert s.outcome == "positive" and "worst_form" in s.determination["decided_by"]
    text = _page(c, f"/screenings/{s.pk}/")
    assert 'name="f-worst_form" value="slavery_or_similar" checked' in text
    # "none of these" is the empty list (a no), nothing ticked is not known
    c.post(
        f"/screenings/{s.pk}/",
        {"version": s.version, "age": "14", "f-worst_form-shown": "1", "f-worst_form": "none"},
    )
    s.refresh_from_db()
    assert s.facts == {"worst_form": []} and s.outcome == "insufficient"
    assert 'name="f-worst_form" value="none" checked' in _page(c, f"/screenings/{s.pk}/")
    c.post(
        f"/screenings/{s.pk}/",
        {"version": s.version, "age": "14", "f-worst_form-shown": "1", "f-parent_in_forced_labour": "yes"},
    )
    s.refresh_from_db()
    assert s.facts == {"parent_in_forced_labour": True} and s.outcome == "positive"
    # the audit names the facts changed, never their values
    entry = AuditEntry.objects.filter(object_type="case", detail__screening=s.pk).order_by("-id").first()
    assert entry.detail["facts"] == ["parent_in_forced_labour", "worst_form"]
    assert "slavery" not in str(entry.detail)


def test_a_bad_fact_is_refused_naming_it_and_nothing_is_stored(users, cases):
    s = screening_service.start(cases["a_inspector"], FL, users["inspector"])
    c = logged_in(users["inspector"])
    version = s.version
    r = c.post(
        f"/screenings/{s.pk}/",
        {
            "version": version,
            "age": "14",
            "a-UR01": "yes",
            "f-worst_form-shown": "1",
            "f-worst_form": ["none", "illicit_activities"],
        },
    )
    assert r.status_code == 400
    text = htmllib.unescape(r.content.decode())
    assert (
        "Is the child in any of the following?: “none of these” cannot be ticked with other answers." in text
    )
    r = c.post(
        f"/screenings/{s.pk}/", {"version": version, "f-worst_form-shown": "1", "f-worst_form": "nope"}
    )
    assert r.status_code == 400 and "choose from the list" in htmllib.unescape(r.content.decode())
    s.refresh_from_db()
    assert s.facts == {} and s.answers == {} and s.age is None and s.version == version
    # in French, the message names the question in French
    fr = logged_in(users["inspector"], "fr")
    r = fr.post(
        f"/screenings/{s.pk}/",
        {"version": version, "f-worst_form-shown": "1", "f-worst_form": ["none", "illicit_activities"]},
    )
    assert r.status_code == 400
    assert "L'enfant se trouve-t-il dans l'une des situations suivantes ?" in htmllib.unescape(
        r.content.decode()
    )


def test_a_number_fact_is_checked_against_its_range(users, cases, monkeypatch):
    """No shipped screenable rule set asks a number fact today: the range check is exercised
    through ``clean_fact`` with ``hours_per_week`` made a question of the forced-labour set."""
    rs = load_ruleset(FL)
    monkeypatch.setattr(rs, "_vigil_fact_keys", ("hours_per_week",), raising=False)
    assert screening_service.clean_fact(rs, "hours_per_week", 40) == 40
    with pytest.raises(screening_service.FactError, match="fact 'hours_per_week': 200 is outside 0-168"):
        screening_service.clean_fact(rs, "hours_per_week", 200)
    with pytest.raises(screening_service.FactError, match="must be a number"):
        screening_service.clean_fact(rs, "hours_per_week", True)


def test_the_facts_in_the_workers_language_beside_the_page(users, cases):
    s = screening_service.start(cases["a_inspector"], FL, users["inspector"])
    text = _page(logged_in(users["inspector"], "fr"), f"/screenings/{s.pk}/?worker_lang=ar")
    block = text[text.index('id="f-worst_form"') :]
    block = block[: block.index('id="f-', 10) if 'id="f-' in block[10:] else len(block)]
    assert "L'enfant se trouve-t-il dans l'une des situations suivantes ?" in block
    assert '<p class="worker-text" lang="ar" dir="rtl">هل الطفل في أيٍّ من الحالات التالية؟</p>' in block
    assert "esclavage ou pratiques analogues" in block
    assert '<span lang="ar" dir="rtl">الرق أو الممارسات الشبيهة به</span>' in block
    assert "Aucune de ces réponses" in block and "لا شيء مما سبق" in block
    assert '<span class="worker-text" lang="ar" dir="rtl">الشخص وعمله</span>' in text  # the group


def test_a_fee_repayment_routes_the_fair_recruitment_screening(users, cases):
    """``fee_repayment`` is asked after a fee answered yes; a loan routes to the forced-labour
    screenings (``route``)."""
    s = screening_service.start(cases["a_inspector"], FEES, users["inspector"])
    c = logged_in(users["inspector"])
    assert "Asked when one of RF, RC1" in _page(c, f"/screenings/{s.pk}/")
    c.post(f"/screenings/{s.pk}/", {"version": s.version, "a-RF": "yes", "f-fee_repayment-shown": "1"})
    s.refresh_from_db()
    assert s.facts == {} and not (s.determination.get("route") or {}).get("to")
    c.post(
        f"/screenings/{s.pk}/",
        {"version": s.version, "f-fee_repayment-shown": "1", "f-fee_repayment": ["loan", "upfront"]},
    )
    s.refresh_from_db()
    assert s.facts == {"fee_repayment": ["upfront", "loan"]}  # kept in the vocabulary's order
    assert "ilo-2012-forced-labour" in s.determination["route"]["to"]


def test_screening_api_takes_and_returns_facts(users, cases):
    c = client_for(users["inspector"])
    case = cases["a_inspector"]
    r = c.post(
        "/api/screenings/",
        {
            "case": case.pk,
            "ruleset": FL,
            "age": 14,
            "facts": {"worst_form": ["commercial_sexual_exploitation"]},
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["facts"] == {"worst_form": ["commercial_sexual_exploitation"]} and body["outcome"] == "positive"
    )
    sid = body["id"]
    r = c.patch(
        f"/api/screenings/{sid}/",
        {"version": body["version"], "facts": {"worst_form": None, "parent_in_forced_labour": False}},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["facts"] == {"parent_in_forced_labour": False} and r.json()["outcome"] != "positive"
    version = r.json()["version"]
    for bad, says in (
        ({"worst_form": ["nope"]}, "fact 'worst_form': unknown value 'nope'"),
        ({"worst_form": "slavery_or_similar"}, "fact 'worst_form': must be a list"),
        ({"parent_in_forced_labour": "yes"}, "fact 'parent_in_forced_labour': must be true, false or null"),
        ({"act": ["recruited"]}, "fact 'act': not a question of ilo-2012-forced-labour"),
        ({"sex": "f"}, "fact 'sex': not a question"),
    ):
        r = c.patch(f"/api/screenings/{sid}/", {"version": version, "facts": bad}, format="json")
        assert r.status_code == 400 and says in r.content.decode(), (bad, r.content)
        assert "facts" in r.json().get("errors", r.json()) or "facts" in r.content.decode()
    r = c.get(f"/api/screenings/{sid}/")
    assert r.json()["facts"] == {"parent_in_forced_labour": False} and r.json()["version"] == version
    # a refused create stores nothing
    r = c.post(
        "/api/screenings/", {"case": case.pk, "ruleset": CHILD, "facts": {"act": ["flown"]}}, format="json"
    )
    assert r.status_code == 400 and "fact 'act'" in r.content.decode()
    assert case.screenings.filter(ruleset=CHILD).count() == 0


def test_field_screenings_keep_their_facts_in_the_shape_of_a_screening(users, tmp_path):
    """An imported field submission keeps its facts under ``answers["facts"]`` with the names
    and values ``Screening.facts`` takes: each passes ``clean_fact`` unchanged."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from tests.forms.synth import answers, kobo_csv

    from vigil.server.fieldwork.models import FieldScreening

    rs = load_ruleset(FL)
    subs = answers(rs, 40, seed=5)
    kobo_csv(subs, rs, tmp_path / "k.csv")
    c = Client()
    c.force_login(users["caseworker"])
    r = c.post(
        "/fieldwork/upload/",
        {
            "form": SimpleUploadedFile("f.xlsx", build_form(rs, ["en"]).to_xlsx()),
            "submissions": SimpleUploadedFile("k.csv", (tmp_path / "k.csv").read_bytes()),
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    with_facts = [fs.answers["facts"] for fs in FieldScreening.objects.all() if fs.answers.get("facts")]
    assert with_facts, "the synthetic submissions carry facts"
    for facts in with_facts:
        for name, value in facts.items():
            assert screening_service.clean_fact(rs, name, value) == value
