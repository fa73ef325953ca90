"""Server-rendered pages: login, case list, intake, case detail (stale edits), consent, screening."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.server.conftest import PASSWORD

from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case, Consent, Person, Screening

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_login_page_and_login(users):
    c = Client()
    assert c.get("/").status_code == 302
    r = c.get("/login/")
    assert r.status_code == 200 and b'name="password"' in r.content
    r = c.post("/login/", {"username": "caseworker", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    home = c.get("/")  # the work list of a case role
    assert home.status_code == 200 and b"What needs you today" in home.content
    assert c.get("/cases/").status_code == 200


@pytest.mark.parametrize(
    "role, landing",
    [
        ("caseworker", "/"),
        ("supervisor", "/"),
        ("referral_receiver", "/referrals/"),
        ("analyst", "/statistics/"),
        ("administrator", "/breaches/"),
    ],
)
def test_each_role_lands_on_a_page_it_may_use(users, role, landing):
    c = logged_in(users[role])
    if landing == "/":  # the work list itself
        assert c.get("/").status_code == 200
    else:
        assert c.get("/").url == landing
    assert c.get(landing).status_code == 200


def test_login_lockout(users):
    c = Client()
    for _ in range(5):
        c.post("/login/", {"username": "supervisor", "password": "wrong"})
    r = c.post("/login/", {"username": "supervisor", "password": PASSWORD})
    assert r.status_code == 429


def test_case_list_is_scoped_and_audited(users, cases):
    r = logged_in(users["inspector"]).get("/cases/")
    html = r.content.decode()
    assert cases["a_inspector"].reference in html
    assert cases["a_caseworker"].reference not in html and cases["b"].reference not in html
    entry = AuditEntry.objects.filter(action="list", via="web").latest("id")
    assert entry.detail["ids"] == [cases["a_inspector"].pk]


def test_case_list_search_by_document_number(users, cases):
    html = logged_in(users["supervisor"]).post("/cases/", {"q": "doc-a-0002"}).content.decode()
    assert cases["a_inspector"].reference in html and cases["a_caseworker"].reference not in html


def test_roles_without_case_access_get_403(users, cases):
    for role in ("analyst", "referral_receiver", "administrator"):
        c = logged_in(users[role])
        assert c.get("/cases/").status_code == 403
        assert c.get(f"/cases/{cases['a_caseworker'].pk}/").status_code == 403


def test_out_of_scope_case_is_404_and_shows_nothing(users, cases):
    r = logged_in(users["caseworker_b"]).get(f"/cases/{cases['a_caseworker'].pk}/")
    assert r.status_code == 404
    assert b"Synthetic" not in r.content and b"DOC-A-0001" not in r.content


def test_intake_creates_encrypted_person_and_case(users):
    c = logged_in(users["inspector"])
    r = c.post(
        "/cases/new/",
        {
            "person-given_name": "Ilse",
            "person-family_name": "Madeup",
            "person-document_number": "MU-1",
            "person-phone": "",
            "person-address": "",
            "person-narrative": "Synthetic narrative",
            "person-gender": "Feminine",
            "person-birth_year": "1991",
            "person-citizenship": "UKR",
            "person-primary_language": "uk",
            "case-status": "Active",
            "case-trafficking_status": "",
            "case-sector": "A",
            "case-opened_on": "2026-05-01",
            "case-closed_on": "",
            "case-closure_reason": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get(owner=users["inspector"], person__document_index=Person.index_document("MU-1"))
    assert r["Location"] == f"/cases/{case.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "Ilse" in page and case.reference in page
    assert list(
        AuditEntry.objects.filter(via="web", action="create").values_list("object_type", flat=True)
    ) == ["person", "case"]


def test_stale_edit_in_the_page_is_refused_with_a_message(users, cases):
    case = cases["a_caseworker"]
    c1, c2 = logged_in(users["caseworker"]), logged_in(users["caseworker_a2"])
    form = {
        "case-version": "1",
        "case-status": "Active",
        "case-trafficking_status": "",
        "case-sector": "F",
        "case-opened_on": "2026-01-01",
        "case-closed_on": "",
        "case-closure_reason": "",
    }
    assert c1.post(f"/cases/{case.pk}/", form).status_code == 302
    r = c2.post(f"/cases/{case.pk}/", {**form, "case-sector": "C"})
    assert r.status_code == 409 and b'id="stale"' in r.content
    case.refresh_from_db()
    assert case.sector == "F" and case.version == 2


def test_stage_added_with_htmx(users, cases):
    case = cases["a_caseworker"]
    r = logged_in(users["caseworker"]).post(
        f"/cases/{case.pk}/stages/",
        {
            "stage-stage": "journey",
            "stage-country": "TUR",
            "stage-place": "Edirne",
            "stage-employer_or_recruiter": "Smuggler X",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and b"Edirne" in r.content and b"<html" not in r.content
    assert case.stages.get().employer_or_recruiter == "Smuggler X"


def test_consent_page_record_and_withdraw(users, cases):
    case = cases["a_caseworker"]
    c = logged_in(users["caseworker"])
    assert c.get(f"/cases/{case.pk}/consents/").status_code == 200
    r = c.post(
        f"/cases/{case.pk}/consents/",
        {"referral-decision": "given", "referral-given_on": "2026-04-01", "referral-method": "written"},
    )
    assert r.status_code == 302
    consent = Consent.objects.get(case=case)
    assert consent.in_force and consent.recorded_by == users["caseworker"]
    assert c.post(f"/consents/{consent.pk}/withdraw/").status_code == 302
    consent.refresh_from_db()
    assert not consent.in_force and consent.withdrawn_by == users["caseworker"]
    # a user of another organisation cannot withdraw it
    assert logged_in(users["caseworker_b"]).post(f"/consents/{consent.pk}/withdraw/").status_code == 404


def test_screening_generated_from_rule_set_and_saved_on_change(users, cases):
    from vigil.rules import load_ruleset

    case = cases["a_inspector"]
    c = logged_in(users["inspector"])
    r = c.post(f"/cases/{case.pk}/screenings/", {"ruleset": "ilo-ec-2009-adult-labour"})
    assert r.status_code == 302
    s = Screening.objects.get(case=case)
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    assert s.ruleset_version == rs.version
    page = c.get(r["Location"]).content.decode()
    for ind in rs.indicators[:5]:
        assert ind.question in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert f'name="version" id="screening-version" value="{s.version}"' in page
    answers = {f"a-{i}": "yes" for i in ["DR01", "DR08", "EX01", "EX04", "CD01", "CD02"]}
    r = c.post(f"/screenings/{s.pk}/", {"age": "24", "version": s.version, **answers}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"<html" not in r.content
    s.refresh_from_db()
    assert s.outcome == "positive" and s.determination["fired"] == [
        "DR01",
        "DR08",
        "EX01",
        "EX04",
        "CD01",
        "CD02",
    ]
    assert b"positive" in r.content
    assert f'value="{s.version}" hx-swap-oob="true"'.encode() in r.content  # the next answer's version
    body = {"age": "24", "version": s.version, **answers, "a-CD02": "unknown"}
    r = c.post(f"/screenings/{s.pk}/", body, HTTP_HX_REQUEST="true")
    s.refresh_from_db()
    assert "CD02" not in s.answers and s.outcome != "positive"
    assert b"ask-next" in r.content
    bad = c.post(f"/screenings/{s.pk}/", {"age": "400", "version": s.version})
    assert bad.status_code == 400
    # other organisation: not found
    assert logged_in(users["caseworker_b"]).get(f"/screenings/{s.pk}/").status_code == 404


def test_pages_in_french(users, cases):
    c = logged_in(users["caseworker"])
    c.post("/i18n/setlang/", {"language": "fr", "next": "/cases/"})
    html = c.get("/cases/").content.decode()
    assert 'lang="fr"' in html and "Dossiers" in html


def test_screening_page_in_french_keeps_the_determination_language_neutral(users, cases):
    import html as html_lib

    from vigil.rules import i18n, load_ruleset

    case = cases["a_inspector"]
    c = logged_in(users["inspector"])
    c.post("/i18n/setlang/", {"language": "fr", "next": "/cases/"})
    r = c.post(f"/cases/{case.pk}/screenings/", {"ruleset": "ilo-ec-2009-adult-labour"})
    s = Screening.objects.get(case=case)
    rs = load_ruleset("ilo-ec-2009-adult-labour")
    page = html_lib.unescape(c.get(r["Location"]).content.decode())
    label_fr, question_fr = i18n.indicator_text(rs, "DR01", "fr")
    assert question_fr and question_fr in page and rs.by_id["DR01"].question not in page
    answers = {f"a-{i}": "yes" for i in ["DR01", "DR08", "EX01", "EX04", "CD01", "CD02"]}
    r = c.post(f"/screenings/{s.pk}/", {"age": "24", "version": s.version, **answers}, HTTP_HX_REQUEST="true")
    panel = html_lib.unescape(r.content.decode())
    assert i18n.outcome_label(rs, "positive", "fr") in panel and label_fr in panel
    s.refresh_from_db()
    # the stored determination is the engine's, in English, whatever the page language
    assert s.determination["label"] == rs.labels["positive"]


def test_person_correction_page(users, cases):
    case = cases["a_caseworker"]
    c = logged_in(users["caseworker"])
    page = c.get(f"/cases/{case.pk}/person/")
    assert page.status_code == 200 and case.person.document_number in page.content.decode()
    data = {
        f"person-{k}": v
        for k, v in {
            "given_name": "Amina",
            "family_name": "Corrected",
            "document_number": "DOC-A-0001-X",
            "phone": "",
            "address": "",
            "narrative": "",
            "gender": "",
            "birth_year": "",
            "citizenship": "",
            "primary_language": "",
            "version": case.person.version,
        }.items()
    }
    assert f'name="person-version" value="{case.person.version}"' in page.content.decode()
    assert c.post(f"/cases/{case.pk}/person/", data).status_code == 302
    person = Person.objects.get(pk=case.person_id)
    assert person.family_name == "Corrected" and person.document_index == Person.index_document(
        "doc-a-0001-x"
    )
    entry = AuditEntry.objects.filter(action="update", object_type="person").latest("id")
    assert "family_name" in entry.detail["fields"] and "Corrected" not in str(entry.detail)
    assert logged_in(users["caseworker_b"]).get(f"/cases/{case.pk}/person/").status_code == 404
    assert logged_in(users["analyst"]).get(f"/cases/{case.pk}/person/").status_code == 403


def test_date_inputs_are_iso_in_french(users, cases):
    case = cases["a_caseworker"]
    c = logged_in(users["caseworker"])
    c.post("/i18n/setlang/", {"language": "fr", "next": "/cases/"})
    html = c.get(f"/cases/{case.pk}/?edit=1").content.decode()  # the page with its edit form
    assert f'value="{case.opened_on.isoformat()}"' in html
    form = {
        "case-version": "1",
        "case-status": "Active",
        "case-trafficking_status": "",
        "case-sector": "F",
        "case-opened_on": case.opened_on.isoformat(),
        "case-closed_on": "",
        "case-closure_reason": "",
    }
    assert c.post(f"/cases/{case.pk}/", form).status_code == 302


def test_person_page_refuses_a_stale_version_and_shows_the_stored_one(users, cases):
    """Two people correct the same person: the second save, based on the version both read, is
    refused (409, nothing written) and the page shows the first one's values to re-apply on."""
    from vigil.server.web.versioning import STALE

    case = cases["a_caseworker"]
    first, second = logged_in(users["caseworker"]), logged_in(users["supervisor"])
    person = case.person
    names = ("given_name", "family_name", "document_number", "phone", "address", "narrative")
    data = {f"person-{k}": getattr(person, k) for k in names}
    data["person-version"] = person.version
    assert first.post(f"/cases/{case.pk}/person/", {**data, "person-phone": "+33 1 11"}).status_code == 302
    r = second.post(f"/cases/{case.pk}/person/", {**data, "person-address": "Somewhere"})
    assert r.status_code == 409 and str(STALE).split(":")[0] in r.content.decode().replace("&#x27;", "'")
    person = Person.objects.get(pk=case.person_id)
    assert person.phone == "+33 1 11" and person.address == case.person.address  # nothing of the second
    assert person.narrative == case.person.narrative
    assert f'name="person-version" value="{person.version}"' in r.content.decode()


def test_screening_autosave_refuses_a_stale_version(users, cases):
    """Two interviewers on one screening: answers saved from an older version are refused with
    the message in the panel (htmx swaps 2xx only), the other's answers stay."""
    from vigil.server.cases import screening as screening_service

    case = cases["a_inspector"]
    c = logged_in(users["inspector"])
    s = screening_service.start(case, "ilo-ec-2009-adult-labour", users["inspector"])
    read = s.version
    screening_service.update(s, read, answers={"DR01": True})  # the colleague's answer
    body = {"version": read, "a-DR01": "no", "a-EX01": "yes"}
    r = c.post(f"/screenings/{s.pk}/", body, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b'role="alert"' in r.content
    s.refresh_from_db()
    assert s.answers == {"DR01": True}
    assert f'value="{s.version}" hx-swap-oob="true"'.encode() in r.content
    r = c.post(f"/screenings/{s.pk}/", {"version": read, "a-EX01": "yes"})
    assert r.status_code == 409
