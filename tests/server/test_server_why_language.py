"""The screening's "why" in the user's language (issue 13): the stored determination keeps the
language-neutral tree beside its English ``decided_by``; the page renders the tree per request."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.test import Client

from vigil.rules import load_ruleset
from vigil.rules.explain_text import render
from vigil.rules.i18n import indicator_text
from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Screening

pytestmark = pytest.mark.django_db

RID = "ilo-ec-2009-adult-labour"


def client(user: Any, lang: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(user)
    return c


def why_on_page(text: str) -> str:
    found = re.search(r'<p class="decided-by">(.*?)</p>', text, re.S)
    assert found, "no why on the page"
    return htmllib.unescape(found.group(1))


def answered(users: Any, cases: Any) -> Screening:
    s = screening_service.start(cases["a_inspector"], RID, users["inspector"])
    c = client(users["inspector"], "en")
    answers = {f"a-{k}": "yes" for k in ("DR01", "DR08", "EX01", "EX04", "VD01", "VD02", "VD03")}
    r = c.post(f"/screenings/{s.pk}/", {"version": s.version, **answers, "a-CD02": "no"})
    assert r.status_code == 200
    s.refresh_from_db()
    return s


def test_stored_determination_keeps_the_tree_and_the_english_text(users, cases):
    s = answered(users, cases)
    det = s.determination
    assert det["decided_by"].startswith("DR positive (S+M: DR01, DR08) and EX positive")
    assert render(det["why"], "en", RID) == det["decided_by"]
    assert "DR01" in repr(det["why"]) and "tromperie" not in repr(det["why"])  # no wording stored


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
def test_screening_page_shows_the_why_in_the_users_language(users, cases, lang):
    s = answered(users, cases)
    page = client(users["inspector"], lang).get(f"/screenings/{s.pk}/").content.decode()
    shown = why_on_page(page)
    assert shown == render(s.determination["why"], lang, RID)
    assert shown != s.determination["decided_by"] and "positive" not in shown
    assert indicator_text(load_ruleset(RID), "DR01", lang)[0] in shown


def test_french_why_is_french(users, cases):
    s = answered(users, cases)
    shown = why_on_page(client(users["inspector"], "fr").get(f"/screenings/{s.pk}/").content.decode())
    assert shown.startswith("DR (recrutement trompeur) positif (S+M : DR01 (tromperie sur la nature")
    assert " et EX (conditions de travail relevant de l'exploitation) positif" in shown
    english = why_on_page(client(users["inspector"], "en").get(f"/screenings/{s.pk}/").content.decode())
    assert english == s.determination["decided_by"]


def test_a_screening_stored_before_trees_shows_its_stored_text(users, cases):
    s = answered(users, cases)
    old = {k: v for k, v in s.determination.items() if k != "why"}
    Screening.objects.filter(pk=s.pk).update(determination=old)
    shown = why_on_page(client(users["inspector"], "fr").get(f"/screenings/{s.pk}/").content.decode())
    assert shown == old["decided_by"]


def test_interview_page_shows_the_why_in_the_users_language(users, orgs):
    from datetime import date

    from vigil.server.inspections import services as inspections
    from vigil.server.inspections.models import Interview, Workplace

    farm = Workplace.objects.create(organisation=orgs["a"], name="Hill Farm", sector="0113", region="north")
    visit = inspections.add_visit(users["inspection_lead"], farm, scheduled_on=date.today(),
                                  inspectors=[users["inspector"]])
    itv = inspections.record_interview(visit, users["inspector"], held_in_private=True,
                                       answers={"ILO11.07": True, "ILO11.09": True})
    assert itv.determination["why"]["key"] == "group_present"  # the tree is stored with it
    assert itv.decided_by == "ILO-11 indicator present: ILO11.07, ILO11.09"
    url = f"/inspections/interviews/{itv.pk}/"

    def why(lang: str) -> str:
        page = client(users["inspector"], lang).get(url).content.decode()
        found = re.search(r'<span id="why">(.*?)</span>', page, re.S)
        assert found
        return htmllib.unescape(found.group(1))

    assert why("en") == itv.decided_by
    assert why("fr") == ("indicateur OIT-11 présent : ILO11.07 (rétention des documents d'identité), "
                         "ILO11.09 (servitude pour dettes)")
    Interview.objects.filter(pk=itv.pk).update(determination={})  # stored before trees
    assert why("fr") == itv.decided_by


def test_agency_page_shows_the_fee_why_in_the_users_language(users):
    from vigil.server.recruitment.models import Agency, FeeReport

    agency = Agency.objects.create(legal_name="Golden Gate Overseas Pvt Ltd", registration_number="R1",
                                   country="NPL")
    fee = FeeReport.objects.create(agency=agency, amount=900, currency="USD", purpose="visa", channel="loan")
    fee.refresh_from_db()
    assert render(fee.why, "en", fee.ruleset) == fee.decided_by and "RC7" in fee.decided_by
    url = f"/recruitment/agencies/{agency.pk}/"

    def why(lang: str) -> str:
        page = client(users["regulator"], lang).get(url).content.decode()
        found = re.search(r'<span class="why">(.*?)</span>', page, re.S)
        assert found
        return htmllib.unescape(found.group(1))

    assert why("en") == fee.decided_by
    french = why("fr")
    assert french == render(fee.why, "fr", fee.ruleset) and french != fee.decided_by
    FeeReport.objects.filter(pk=fee.pk).update(why={})  # stored before trees
    assert why("fr") == fee.decided_by


def test_supply_entity_page_shows_the_finding_why_in_the_users_language(users, orgs):
    from tests.server.test_server_supply import load

    from vigil.server.supply import services as supply
    from vigil.server.supply.models import Entity, Finding, SupplyAudit

    load(orgs["a"])
    mill = Entity.objects.get(organisation=orgs["a"], ref="T2")
    audit = SupplyAudit.objects.create(organisation=orgs["a"], entity=mill, date="2026-09-01",
                                       standard="Better Work", recorded_by=users["compliance"])
    f = supply.add_finding(audit, "interview", supply.screen_interview(["ILO11.09"]))
    assert f.decided_by == "ILO-11 indicator present: ILO11.09"
    url = f"/supply/entities/{mill.pk}/"

    def why(lang: str) -> str:
        page = client(users["compliance"], lang).get(url).content.decode()
        found = re.search(r'<span class="why">(.*?)</span>', page, re.S)
        assert found
        return htmllib.unescape(found.group(1))

    assert why("en") == f.decided_by
    assert why("es") == "indicador OIT-11 presente: ILO11.09 (servidumbre por deudas)"
    Finding.objects.filter(pk=f.pk).update(why={})
    assert why("es") == f.decided_by
