"""The case page in sections (issue 16): the summary at the top, the anchored sections, the
person corrected in place (htmx) or on its own page (no JavaScript), the history of changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from vigil.server.audit.models import AuditEntry
from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Consent, Person
from vigil.server.followups.models import FollowUp
from vigil.server.referrals.models import Referral, ServiceProvider

pytestmark = pytest.mark.django_db
ADULT = "ilo-ec-2009-adult-labour"
POSITIVE = {"DR01": True, "DR08": True, "EX01": True, "EX04": True, "CD01": True, "CD02": True}


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _summary(html: str) -> str:
    return re.search(r'<section class="card summary" id="summary".*?</section>', html, re.S).group(0)


def test_summary_says_determination_consent_referrals_and_next_follow_up(users, cases, orgs):
    case, cw = cases["a_caseworker"], users["caseworker"]
    s = screening_service.start(case, ADULT, cw)
    screening_service.update(s, s.version, answers=POSITIVE)
    Consent.objects.create(case=case, purpose="referral", given=True, method="verbal",
                           given_on=timezone.localdate(), recorded_by=cw)
    Consent.objects.create(case=case, purpose="law_enforcement", given=False, method="verbal",
                           given_on=timezone.localdate(), recorded_by=cw)
    provider = ServiceProvider.objects.create(
        organisation=orgs["a"], name="Own legal aid", service_type="legal")
    Referral.objects.create(case=case, provider=provider, created_by=cw)
    closed = ServiceProvider.objects.create(
        organisation=orgs["a"], name="Old shelter", service_type="shelter")
    Referral.objects.create(case=case, provider=closed, created_by=cw, status="declined")
    today = timezone.localdate()
    FollowUp.objects.create(case=case, due_on=today + timedelta(days=9), created_by=cw)
    soon = FollowUp.objects.create(case=case, due_on=today - timedelta(days=1), created_by=cw)
    FollowUp.objects.create(case=case, due_on=today - timedelta(days=5), done_on=today, created_by=cw)

    html = logged_in(cw).get(f"/cases/{case.pk}/").content.decode()
    top = _summary(html)
    assert case.reference in top and "Active" in top
    # the outcome in words, with a mark that is not the only carrier of the meaning
    assert 'class="outcome-badge outcome-positive"' in top
    assert re.search(r"outcome-positive\"><span aria-hidden=\"true\">.</span> [^<]*\w", top)
    assert re.search(r'class="consent-given">[^<]*referral[^<]*: <strong>given</strong>', top, re.I)
    assert re.search(r"law enforcement: <strong>refused</strong>", top, re.I)
    assert "Own legal aid" in top and "Old shelter" not in top  # only the open referrals
    assert f'href="#followup-{soon.pk}"' in top and "overdue" in top  # the earliest open one
    for anchor in ("person", "case", "screenings", "referrals", "followups", "stages", "history"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html


def test_summary_of_a_new_case_says_nothing_yet(users, cases):
    html = logged_in(users["caseworker"]).get(f"/cases/{cases['a_caseworker'].pk}/").content.decode()
    top = _summary(html)
    assert "No screening yet." in top and "None recorded." in top and "none scheduled" in top


def test_person_corrected_in_place_with_htmx(users, cases):
    case, c = cases["a_caseworker"], logged_in(users["caseworker"])
    url = f"/cases/{case.pk}/person/"
    form = c.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    html = form.content.decode()
    assert "<html" not in html and 'id="person-form"' in html and f'hx-post="{url}"' in html
    person = Person.objects.get(pk=case.person_id)
    body = {f"person-{f}": getattr(person, f) or "" for f in Person.PROFILE_FIELDS}
    body |= {"person-version": person.version, "person-phone": "+33 6 11 22 33 44"}
    saved = c.post(url, body, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    html = saved.content.decode()
    assert "<html" not in html and 'id="person-body"' in html and "+33 6 11 22 33 44" in html
    person.refresh_from_db()
    assert person.phone == "+33 6 11 22 33 44"
    entry = AuditEntry.objects.filter(action="update", object_type="person").latest("id")
    assert entry.detail["fields"] == ["phone"]
    # the same form posted again carries the old version: refused in place, nothing saved
    again = c.post(url, body | {"person-phone": "+33 6 99 99 99 99"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "Someone else changed this record" in again.content.decode()
    person.refresh_from_db()
    assert person.phone == "+33 6 11 22 33 44"


def test_person_correction_without_javascript_is_its_own_page(users, cases):
    case, c = cases["a_caseworker"], logged_in(users["caseworker"])
    page = c.get(f"/cases/{case.pk}/person/")
    assert page.status_code == 200 and "<html" in page.content.decode()
    detail = c.get(f"/cases/{case.pk}/").content.decode()
    # the link opens the form in place with htmx and is a plain link without it
    assert re.search(rf'<a href="/cases/{case.pk}/person/" id="person-edit-link"[^>]*hx-get=', detail)


def test_history_lists_changes_not_reads(users, cases):
    case, c = cases["a_caseworker"], logged_in(users["caseworker"])
    c.get(f"/cases/{case.pk}/")  # a read: not history
    body = {"case-version": case.version, "case-status": "Active", "case-sector": "C",
            "case-opened_on": case.opened_on.isoformat()}
    assert c.post(f"/cases/{case.pk}/", body).status_code == 302
    html = c.get(f"/cases/{case.pk}/").content.decode()
    history = re.search(r'id="history-table".*?</table>', html, re.S).group(0)
    assert "caseworker" in history and "changed" in history and "sector" in history.lower()
    assert history.count("<tr>") == 2  # the header and the one change


def test_out_of_scope_person_form_is_404(users, cases):
    url = f"/cases/{cases['a_caseworker'].pk}/person/"
    r = logged_in(users["caseworker_b"]).get(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 404


def test_case_edit_form_is_fetched_when_opened_and_without_javascript_through_edit_1(users, cases):
    case, c = cases["a_caseworker"], logged_in(users["caseworker"])
    html = c.get(f"/cases/{case.pk}/").content.decode()
    edit = re.search(r'<details class="edit" id="case-edit"[^>]*>', html).group(0)
    # closed, and fetched by htmx the first time it opens; a plain link to the open form without it
    assert " open" not in edit and f'hx-get="/cases/{case.pk}/?edit=1"' in edit
    assert 'hx-trigger="toggle once"' in edit and 'hx-target="#case-edit-body"' in edit
    assert 'id="case-form"' not in html and 'href="?edit=1#case-edit"' in html
    # without JavaScript: the whole page, the form in it and open
    full = c.get(f"/cases/{case.pk}/?edit=1").content.decode()
    assert "<html" in full and re.search(r'<details class="edit" id="case-edit" open>', full)
    assert f'name="case-version" value="{case.version}"' in full and 'name="case-status"' in full
    # with htmx: the form alone, its read audited
    before = AuditEntry.objects.filter(action="view", object_type="case", object_id=str(case.pk)).count()
    part = c.get(f"/cases/{case.pk}/?edit=1", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and part.lstrip().startswith('<form method="post"')
    assert f'action="/cases/{case.pk}/"' in part and 'name="case-closure_reason"' in part
    after = AuditEntry.objects.filter(action="view", object_type="case", object_id=str(case.pk)).count()
    assert after == before + 1
    # the form saves as before
    body = {"case-version": case.version, "case-status": "Active", "case-sector": "C",
            "case-opened_on": case.opened_on.isoformat()}
    assert c.post(f"/cases/{case.pk}/", body).status_code == 302

