"""Break-glass (emergency) access, R6: time-limited, reason required, read-only, audited, owner alerted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone, translation
from tests.server.conftest import client_for, make_case

from vigil.server import scoping
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Case
from vigil.server.emergency import services
from vigil.server.emergency.context_processors import alert_count, emergency_alerts
from vigil.server.emergency.models import EmergencyAccess, grant_hours

pytestmark = pytest.mark.django_db

URL = "/api/emergency-access/"
REASON = "Shelter called at night: the person asks for help, we must check the safety plan."


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def request_access(user, case: Case, reason: str = REASON):
    return client_for(user).post(URL, {"case_reference": case.reference, "reason": reason}, format="json")


def grant(user, case: Case) -> EmergencyAccess:
    r = request_access(user, case)
    assert r.status_code == 201, r.content
    return EmergencyAccess.objects.get(pk=r.json()["id"])


def expire(access: EmergencyAccess) -> None:
    EmergencyAccess.objects.filter(pk=access.pk).update(
        granted_at=timezone.now() - timedelta(hours=4), expires_at=timezone.now() - timedelta(hours=1)
    )


# --- visibility for the window -------------------------------------------------------------------
@pytest.mark.parametrize("role", ["caseworker", "inspector", "supervisor"])
def test_grant_shows_case_and_identity_for_the_window_only(users, cases, role):
    user, case = users[role], cases["b"]
    api = client_for(user)
    assert api.get(f"/api/cases/{case.pk}/").status_code == 404
    assert api.get(f"/api/persons/{case.person_id}/").status_code == 404

    r = request_access(user, case)
    assert r.status_code == 201
    body = r.json()
    assert body["case"] == case.pk and body["case_reference"] == case.reference
    assert body["status"] == "active" and body["user"] == role
    expires = EmergencyAccess.objects.get(pk=body["id"]).expires_at
    assert timedelta(hours=2, minutes=59) < expires - timezone.now() <= timedelta(hours=3)

    assert api.get(f"/api/cases/{case.pk}/").json()["reference"] == case.reference
    assert case.pk in [c["id"] for c in api.get("/api/cases/").json()["results"]]
    person = api.get(f"/api/persons/{case.person_id}/").json()
    assert (person["given_name"], person["document_number"]) == ("Chen", "DOC-B-0001")
    assert api.get(f"/api/consents/?case={case.pk}").status_code == 200
    # Only that case: the other cases of org B stay out of reach.
    other = make_case(users["caseworker_b"], "Dana", "Other", "DOC-B-0002")
    assert api.get(f"/api/cases/{other.pk}/").status_code == 404

    expire(EmergencyAccess.objects.get(pk=body["id"]))
    assert api.get(f"/api/cases/{case.pk}/").status_code == 404
    assert api.get(f"/api/persons/{case.person_id}/").status_code == 404
    assert case.pk not in [c["id"] for c in api.get("/api/cases/").json()["results"]]
    assert api.get(URL).json()["results"][0]["status"] == "expired"


def test_grant_counts_only_while_the_role_has_the_capability(users, cases):
    user = users["caseworker"]
    grant(user, cases["b"])
    assert scoping.cases_for(user).filter(pk=cases["b"].pk).exists()
    user.role = "analyst"
    assert not scoping.cases_for(user).filter(pk=cases["b"].pk).exists()


def test_case_query_same_without_grant_indexable_with_one(users, cases, django_assert_num_queries):
    user = users["inspector"]
    # No grant: the very same SQL as the scope alone (so the same plan), after one indexed look-up.
    with django_assert_num_queries(1):
        qs = scoping.cases_for(user)
    assert str(qs.query) == str(scoping.cases_in_scope_for(user).query)
    grant(user, cases["b"])
    with django_assert_num_queries(2):  # the grant look-up, then the cases
        ids = {c.pk for c in scoping.cases_for(user)}
    assert ids == {cases["a_inspector"].pk, cases["b"].pk}
    assert "SELECT" not in str(scoping.cases_for(user).query).split("WHERE", 1)[1]  # ids, no subquery
    assert set(scoping.persons_for(user).values_list("pk", flat=True)) == {
        cases["a_inspector"].person_id,
        cases["b"].person_id,
    }


# --- who may, and what is refused ---------------------------------------------------------------
@pytest.mark.parametrize("role", ["analyst", "referral_receiver", "administrator"])
def test_refused_without_capability_and_reveals_nothing(users, cases, role):
    api = client_for(users[role])
    known = api.post(URL, {"case_reference": cases["b"].reference, "reason": REASON}, format="json")
    unknown = api.post(URL, {"case_reference": "VG-2026-ZZZZZZZZ", "reason": REASON}, format="json")
    empty = api.post(URL, {}, format="json")
    assert known.status_code == unknown.status_code == empty.status_code == 403
    assert known.json()["detail"] == unknown.json()["detail"]
    assert not EmergencyAccess.objects.exists()
    assert logged_in(users[role]).get("/emergency/new/").status_code == 403
    with pytest.raises(PermissionError):
        services.grant(users[role], cases["b"].reference, REASON, via="api")


@pytest.mark.parametrize(
    "reason",
    ["", "   ", "urgent", "..............................", "aaaaaaaaaaaaaaaaaaaa", "1234567890123456789"],
)
def test_reason_required(users, cases, reason):
    r = request_access(users["caseworker"], cases["b"], reason)
    assert r.status_code == 400
    body = r.json()
    assert body["type"].endswith("/validation-error")
    assert [e["field"] for e in body["errors"]] == ["reason"]
    assert not EmergencyAccess.objects.exists()


def test_unknown_in_scope_closed_and_repeated_are_refused_clearly(users, cases):
    user = users["caseworker"]

    def refused(reference: str) -> str:
        r = client_for(user).post(URL, {"case_reference": reference, "reason": REASON}, format="json")
        assert r.status_code == 400
        errors = r.json()["errors"]
        assert [e["field"] for e in errors] == ["case_reference"]
        return errors[0]["detail"]

    assert "No case" in refused("VG-2026-ZZZZZZZZ")
    assert "already in your scope" in refused(cases["a_inspector"].reference)
    closed = make_case(users["caseworker_b"], "Eve", "Closed", "DOC-B-0003", status=Case.Status.CLOSED)
    assert "closed" in refused(closed.reference)
    anonymised = make_case(users["caseworker_b"], "Fay", "Gone", "DOC-B-0004", anonymised_at=timezone.now())
    assert "closed" in refused(anonymised.reference)
    grant(user, cases["b"])
    assert "already have" in refused(cases["b"].reference.lower())  # the reference is case-insensitive
    assert EmergencyAccess.objects.count() == 1
    # Each refusal is audited with its cause only.
    refusals = AuditEntry.objects.filter(action="emergency_access_refused", actor_id=user.pk)
    assert refusals.count() == 5
    assert {e.detail["field"] for e in refusals} == {"case_reference"}


# --- read only ----------------------------------------------------------------------------------
def test_read_only_at_the_scoping_level(users, cases):
    user, case = users["caseworker"], cases["b"]
    grant(user, case)
    assert scoping.cases_for(user).filter(pk=case.pk).exists()
    assert scoping.persons_for(user).filter(pk=case.person_id).exists()
    assert not scoping.editable_cases_for(user).filter(pk=case.pk).exists()
    assert not scoping.editable_persons_for(user).filter(pk=case.person_id).exists()
    assert scoping.can_edit_case(user, case) is False
    # The user's own cases stay editable; the owner's too.
    assert scoping.can_edit_case(user, cases["a_caseworker"]) is True
    assert scoping.can_edit_case(users["caseworker_b"], case) is True
    assert set(scoping.editable_cases_for(user)) == set(scoping.cases_in_scope_for(user))


def test_grant_does_not_open_the_audit_log_of_the_case(users, cases):
    supervisor = users["supervisor"]
    client_for(users["caseworker_b"]).get(f"/api/cases/{cases['b'].pk}/")  # an entry about case b
    grant(supervisor, cases["b"])
    seen = scoping.audit_for(supervisor)
    about_b = seen.filter(object_type="case", object_id=str(cases["b"].pk))
    assert not about_b.filter(actor_id=users["caseworker_b"].pk).exists()
    assert seen.filter(action="emergency_access", actor_id=supervisor.pk).exists()  # a colleague's act


def test_web_write_paths_refuse(users, cases):
    user, case = users["caseworker"], cases["b"]
    grant(user, case)
    c = logged_in(user)
    page = c.get(f"/cases/{case.pk}/")
    assert page.status_code == 200 and "Chen" in page.content.decode()
    assert 'id="case-form"' not in page.content.decode() and 'id="case-edit"' not in page.content.decode()
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):  # nor asked for (the form is fetched when opened)
        assert 'id="case-form"' not in c.get(f"/cases/{case.pk}/?edit=1", **headers).content.decode()
    assert c.post(f"/cases/{case.pk}/", {"case-status": "Closed", "case-version": "1"}).status_code == 403
    assert c.post(f"/cases/{case.pk}/stages/", {"stage-stage": "work"}).status_code == 403
    assert c.get(f"/cases/{case.pk}/person/").status_code == 403
    assert c.post(f"/cases/{case.pk}/followups/", {"fu-due_on": "2030-01-01"}).status_code == 403
    assert c.post(f"/cases/{case.pk}/referrals/", {"provider": "1"}).status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.stages.count() == 0 and case.followups.count() == 0


def test_api_write_paths_refuse(users, cases):
    user, case = users["caseworker"], cases["b"]
    grant(user, case)
    api = client_for(user)
    assert api.patch(f"/api/cases/{case.pk}/", {"sector": "A", "version": 1}, format="json").status_code in {
        403,
        404,
    }
    assert api.patch(f"/api/persons/{case.person_id}/", {"phone": "+33 1"}, format="json").status_code in {
        403,
        404,
    }
    r = api.post("/api/stages/", {"case": case.pk, "stage": "work"}, format="json")
    assert r.status_code in {400, 403}
    body = {"case": case.pk, "purpose": "services", "given": True, "method": "verbal"}
    assert api.post("/api/consents/", body, format="json").status_code in {400, 403}
    body = {"case": case.pk, "ruleset": "ilo-11", "answers": {}}
    assert api.post("/api/screenings/", body, format="json").status_code in {400, 403}
    assert api.post(
        "/api/followups/", {"case": case.pk, "due_on": "2030-01-01"}, format="json"
    ).status_code in {
        400,
        403,
    }
    case.refresh_from_db()
    assert case.sector == "" and case.stages.count() == 0
    assert case.consents.count() == 0 and case.screenings.count() == 0 and case.followups.count() == 0
    # ... while reading it still works during the grant.
    assert api.get(f"/api/cases/{case.pk}/").status_code == 200


# --- the owner side: alert, acknowledge, revoke; the holder: end ------------------------------------
def test_owner_sees_alert_and_acknowledges(users, cases):
    access = grant(users["caseworker"], cases["b"])
    owner, supervisor_b = users["caseworker_b"], users["supervisor_b"]
    assert alert_count(owner) == 1 and alert_count(supervisor_b) == 1
    assert alert_count(users["caseworker_a2"]) == 0 and alert_count(users["caseworker"]) == 0
    assert alert_count(users["supervisor"]) == 0  # a supervisor of another organisation
    listed = client_for(owner).get(URL).json()["results"]
    assert [g["id"] for g in listed] == [access.pk] and listed[0]["reason"] == REASON
    assert client_for(users["caseworker_a2"]).get(URL).json()["results"] == []
    assert client_for(users["caseworker_a2"]).post(f"{URL}{access.pk}/acknowledge/").status_code == 404
    # The holder cannot acknowledge their own access.
    assert client_for(users["caseworker"]).post(f"{URL}{access.pk}/acknowledge/").status_code == 403

    r = client_for(owner).post(f"{URL}{access.pk}/acknowledge/")
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "caseworker_b"
    assert alert_count(owner) == 0 and alert_count(supervisor_b) == 0
    assert client_for(supervisor_b).post(f"{URL}{access.pk}/acknowledge/").status_code == 409
    # Acknowledging does not end the access.
    assert client_for(users["caseworker"]).get(f"/api/cases/{cases['b'].pk}/").status_code == 200


def test_supervisor_of_owning_org_revokes_and_access_ends_at_once(users, cases):
    holder = users["inspector"]
    access = grant(holder, cases["b"])
    api = client_for(holder)
    assert api.get(f"/api/cases/{cases['b'].pk}/").status_code == 200
    body = {"reason": "not needed"}
    assert client_for(users["caseworker_b"]).post(f"{URL}{access.pk}/revoke/", body).status_code == 403
    assert client_for(users["supervisor"]).post(f"{URL}{access.pk}/revoke/", body).status_code == 404
    no_reason = client_for(users["supervisor_b"]).post(f"{URL}{access.pk}/revoke/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"

    r = client_for(users["supervisor_b"]).post(
        f"{URL}{access.pk}/revoke/", {"reason": "We handle it ourselves"}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["status"] == "revoked" and r.json()["ended_by"] == "supervisor_b"
    # Revoking acts on the alert: no badge is left waiting for an acknowledgement.
    assert r.json()["acknowledged_by"] == "supervisor_b" and r.json()["acknowledged_at"]
    assert alert_count(users["supervisor_b"]) == 0 and alert_count(users["caseworker_b"]) == 0
    assert api.get(f"/api/cases/{cases['b'].pk}/").status_code == 404
    again = client_for(users["supervisor_b"]).post(
        f"{URL}{access.pk}/revoke/", {"reason": "We handle it ourselves"}, format="json"
    )
    assert again.status_code == 409
    # The holder sees why, and cannot end it again.
    mine = api.get(URL).json()["results"][0]
    assert mine["end_reason"] == "We handle it ourselves"
    assert api.post(f"{URL}{access.pk}/end/").status_code == 409


def test_holder_ends_early(users, cases):
    holder = users["caseworker"]
    access = grant(holder, cases["b"])
    assert client_for(users["caseworker_b"]).post(f"{URL}{access.pk}/end/").status_code == 403
    r = client_for(holder).post(f"{URL}{access.pk}/end/", {"reason": "Done, shelter informed"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "ended"
    assert client_for(holder).get(f"/api/cases/{cases['b'].pk}/").status_code == 404
    # A new grant is possible after the end (a new reason, a new alert).
    assert request_access(holder, cases["b"]).status_code == 201


# --- audit --------------------------------------------------------------------------------------
IDENTITY = ("Chen", "Fictional", "DOC-B-0001", "rue Imaginaire", "false job offer")


def test_audit_entries_of_a_grant_without_identity_values(users, cases):
    holder, case = users["caseworker"], cases["b"]
    access = grant(holder, case)
    api = client_for(holder)
    api.get(f"/api/cases/{case.pk}/")
    api.get(f"/api/persons/{case.person_id}/")
    client_for(users["caseworker_b"]).post(f"{URL}{access.pk}/acknowledge/")
    api.post(f"{URL}{access.pk}/end/", {"reason": "Done"}, format="json")

    granted = AuditEntry.objects.get(action="emergency_access")
    assert (granted.actor_id, granted.object_type, granted.object_id) == (holder.pk, "case", str(case.pk))
    assert granted.reason == REASON
    assert granted.detail["grant"] == access.pk
    assert granted.detail["expires_at"] == access.expires_at.isoformat()
    ack = AuditEntry.objects.get(action="emergency_access_acknowledged")
    assert ack.actor_id == users["caseworker_b"].pk and ack.detail["grant"] == access.pk
    ended = AuditEntry.objects.get(action="emergency_access_ended")
    assert ended.reason == "Done" and ended.detail["granted_to"] == holder.pk
    assert AuditEntry.objects.filter(action="view", actor_id=holder.pk, object_type="person").exists()

    for e in AuditEntry.objects.all():
        text = f"{e.reason} {e.detail} {e.object_id} {e.actor_username}"
        assert not any(value in text for value in IDENTITY), e.action


def test_trail_page_lists_what_the_holder_did(users, cases):
    holder, case = users["caseworker"], cases["b"]
    access = grant(holder, case)
    api = client_for(holder)
    api.get(f"/api/cases/{case.pk}/")
    api.get(f"/api/persons/{case.person_id}/")
    api.get(f"/api/cases/{cases['a_caseworker'].pk}/")  # their own case: not in the trail
    trail = services.trail(access)
    assert [(e.action, e.object_type) for e in trail] == [
        ("emergency_access", "case"),
        ("view", "case"),
        ("view", "person"),
    ]
    page = logged_in(users["supervisor_b"]).get(f"/emergency/{access.pk}/trail/")
    assert page.status_code == 200
    assert page.content.decode().count("<tr><td>") == 3
    assert AuditEntry.objects.filter(action="audit_read", detail__emergency_grant=access.pk).exists()
    assert logged_in(users["administrator"]).get(f"/emergency/{access.pk}/trail/").status_code == 200
    for role in ("caseworker_b", "caseworker", "supervisor"):  # owner (not supervisor), holder, other org
        assert logged_in(users[role]).get(f"/emergency/{access.pk}/trail/").status_code in {403, 404}


# --- pages --------------------------------------------------------------------------------------
def test_request_pages_confirm_then_open_the_case(users, cases):
    c, case = logged_in(users["caseworker"]), cases["b"]
    form = c.get("/emergency/new/")
    assert form.status_code == 200 and 'name="case_reference"' in form.content.decode()
    assert "never write a name" in form.content.decode().lower()

    bad = c.post("/emergency/new/", {"case_reference": case.reference, "reason": "help"})
    assert bad.status_code == 400 and "at least 15 characters" in bad.content.decode()

    confirm = c.post("/emergency/new/", {"case_reference": case.reference, "reason": REASON})
    html = confirm.content.decode()
    assert confirm.status_code == 200 and 'id="emergency-confirm"' in html
    assert "logged and the owner is alerted" in html and case.reference in html
    assert "Chen" not in html and not EmergencyAccess.objects.exists()

    done = c.post(
        "/emergency/new/", {"case_reference": case.reference, "reason": REASON, "confirm": "yes"}, follow=True
    )
    assert done.redirect_chain[-1][0] == f"/cases/{case.pk}/"
    assert "Chen" in done.content.decode()
    assert EmergencyAccess.objects.get().user == users["caseworker"]

    mine = c.get("/emergency/").content.decode()
    assert 'class="link end"' in mine
    assert c.post(f"/emergency/{EmergencyAccess.objects.get().pk}/end/").status_code == 302
    assert c.get(f"/cases/{case.pk}/").status_code == 404


def test_alert_page_acknowledge_and_revoke(users, cases):
    access = grant(users["inspector"], cases["b"])
    owner = logged_in(users["caseworker_b"])
    html = owner.get("/emergency/").content.decode()
    assert cases["b"].reference in html and REASON in html and 'class="link ack"' in html
    assert "Revoke now" not in html  # the owner acknowledges; a supervisor revokes
    assert owner.post(f"/emergency/{access.pk}/acknowledge/").status_code == 302
    assert EmergencyAccess.objects.get().acknowledged_by == users["caseworker_b"]

    sup = logged_in(users["supervisor_b"])
    assert "Revoke now" in sup.get("/emergency/").content.decode()
    assert sup.post(f"/emergency/{access.pk}/revoke/", {"reason": "Handled by our team"}).status_code == 302
    assert EmergencyAccess.objects.get().status == "revoked"
    assert owner.post(f"/emergency/{access.pk}/revoke/", {"reason": "x"}).status_code == 403
    assert logged_in(users["analyst"]).post(f"/emergency/{access.pk}/acknowledge/").status_code == 404


def test_context_processor_is_lazy_and_counts(rf, users, cases, django_assert_num_queries):
    grant(users["caseworker"], cases["b"])
    request = rf.get("/")
    request.user = users["supervisor_b"]
    with django_assert_num_queries(0):
        context = emergency_alerts(request)
    with django_assert_num_queries(1):
        assert int(context["emergency_alert_count"]) == 1


def test_template_tags_banner_and_badge(rf, users, cases):
    from django.template import Context, Template

    grant(users["caseworker"], cases["b"])
    template = Template(
        "{% load emergency %}{% emergency_banner case %}|{% emergency_alert_count as n %}{{ n }}"
    )

    def render(user) -> str:
        request = rf.get("/")
        request.user = user
        return template.render(Context({"request": request, "case": cases["b"], "csrf_token": "t"}))

    holder = render(users["caseworker"])
    assert 'id="emergency-banner"' in holder and "read only" in holder and holder.endswith("|0")
    owner = render(users["caseworker_b"])
    assert "emergency-banner" not in owner and owner.endswith("|1")


# --- configuration, French ----------------------------------------------------------------------
def test_hours_from_settings_then_environment(settings, monkeypatch):
    assert grant_hours() == 3
    monkeypatch.setenv("VIGIL_EMERGENCY_HOURS", "1.5")
    assert grant_hours() == 1.5
    settings.VIGIL_EMERGENCY_HOURS = 2
    assert grant_hours() == 2
    for bad in (0, 48, "soon"):
        settings.VIGIL_EMERGENCY_HOURS = bad
        with pytest.raises(ImproperlyConfigured):
            grant_hours()


def test_grant_uses_configured_hours(settings, users, cases):
    settings.VIGIL_EMERGENCY_HOURS = 1
    access = grant(users["caseworker"], cases["b"])
    assert timedelta(minutes=59) < access.expires_at - access.granted_at <= timedelta(hours=1)


def test_pages_in_french(users, cases):
    grant(users["caseworker"], cases["b"])
    c = logged_in(users["caseworker_b"])
    c.cookies["django_language"] = "fr"
    html = c.get("/emergency/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Accès d'urgence à vos dossiers" in html or "Accès d&#x27;urgence à vos dossiers" in html
    with translation.override("fr"):
        assert str(EmergencyAccess(expires_at=timezone.now(), ended_at=None).status_label) != "active"
