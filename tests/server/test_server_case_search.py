"""Finding a case (issue 16): by reference, exact document number or phone number (through the
blind indexes), by status and sector, inside the user's scope, audited without the value."""

from __future__ import annotations

import pytest
from django.test import Client

from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Person

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def found(user, **body) -> str:
    """The result rows (and their count line) of a search: the search box echoes the query."""
    r = logged_in(user).post("/cases/", body)
    assert r.status_code == 200
    html = r.content.decode()
    return html[html.index('<div id="case-rows">'):]


def _phone(case: Case) -> str:
    return Person.objects.get(pk=case.person_id).phone


def test_find_by_reference_document_and_phone(users, cases):
    sup, a, other = users["supervisor"], cases["a_caseworker"], cases["a_inspector"]
    for q in (a.reference, a.reference.lower(), "doc-a-0001", " DOC-A-0001 "):
        html = found(sup, q=q)
        assert a.reference in html and other.reference not in html, q
    phone = _phone(a)  # "+33 6 12345678"
    for q in (phone, phone.replace(" ", ""), phone.replace(" ", "-")):
        html = found(sup, q=q)
        assert a.reference in html and other.reference not in html, q
    assert "1 case found." in found(sup, q=phone)
    html = found(sup, q="DOC-A-000")  # exact only: no prefix search
    assert a.reference not in html and "No case in your scope matches." in html


def test_a_phone_is_tried_only_for_a_phone_like_query(users, cases):
    a = cases["a_caseworker"]
    digits = _phone(a).replace("+", "").replace(" ", "")
    # the same digits inside a document-like value do not match the phone
    assert a.reference not in found(users["supervisor"], q=f"AB{digits}")
    entry_kinds = AuditEntry.objects.filter(action="list").latest("id").detail["matched_by"]
    assert entry_kinds == ["reference", "document_number"]


def test_status_and_sector_filters(users, cases):
    a, other = cases["a_caseworker"], cases["a_inspector"]
    Case.objects.filter(pk=a.pk).update(sector="A", status="Closed")
    Case.objects.filter(pk=other.pk).update(sector="C")
    html = found(users["supervisor"], sector="A")
    assert a.reference in html and other.reference not in html
    html = found(users["supervisor"], status="Active")
    assert other.reference in html and a.reference not in html
    # status and sector may come in the address, so the pager keeps them
    html = logged_in(users["supervisor"]).get("/cases/?sector=C").content.decode().split('id="case-rows"')[1]
    assert other.reference in html and a.reference not in html
    assert found(users["supervisor"], sector="Z").count("<tr><td><a") == 2  # an unknown sector: no filter


def test_a_document_number_in_the_address_is_ignored(users, cases):
    html = logged_in(users["supervisor"]).get("/cases/?q=DOC-A-0001").content.decode()
    assert cases["a_inspector"].reference in html  # the whole list: q is read only from a POST
    assert not AuditEntry.objects.filter(action="list").latest("id").detail["searched"]


@pytest.mark.parametrize("searcher", ["caseworker_b", "inspector", "supervisor_b"])
def test_nobody_finds_a_case_outside_their_scope(users, cases, searcher):
    """Org B never finds org A's case; an inspector (scope: own cases) never finds a colleague's,
    by reference, document number or phone number alike."""
    a = cases["a_caseworker"]
    for q in (a.reference, "DOC-A-0001", _phone(a)):
        html = found(users[searcher], q=q)
        assert a.reference not in html and "Synthetic" not in html, (searcher, q)
        assert "No case in your scope matches." in html
        assert AuditEntry.objects.filter(action="list").latest("id").detail["ids"] == []


def test_search_is_audited_without_the_value(users, cases):
    a = cases["a_caseworker"]
    found(users["caseworker"], q="DOC-A-0001", status="Active")
    entry = AuditEntry.objects.filter(action="list", object_type="case").latest("id")
    assert entry.detail["ids"] == [a.pk] and entry.detail["searched"] is True
    assert entry.detail["filters"] == {"status": "Active"}
    assert "DOC-A-0001" not in str(entry.detail) and "doc-a-0001" not in str(entry.detail).lower()
    assert entry.actor_username == "caseworker"


def test_search_with_htmx_returns_the_rows_only(users, cases):
    r = logged_in(users["supervisor"]).post("/cases/", {"q": "DOC-A-0002"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and cases["a_inspector"].reference in html


def test_roles_without_case_access_cannot_search(users, cases):
    for role in ("analyst", "referral_receiver", "administrator"):
        assert logged_in(users[role]).post("/cases/", {"q": "DOC-A-0001"}).status_code == 403


def test_home_page_offers_the_search(users):
    html = logged_in(users["caseworker"]).get("/").content.decode()
    assert 'id="home-search"' in html and 'action="/cases/"' in html
