"""No lost updates (issue 15, item 1): ``vigil.server.versioning`` on every edited model, the API
mixin and the page helper, the per-app APIs and pages, and real concurrency over HTTP."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework import serializers
from tests.server.conftest import client_for, http_call, make_case, make_user

from vigil.server.accounts.models import ApiToken
from vigil.server.api.versioning import VersionedSerializerMixin
from vigil.server.audit.models import AuditEntry
from vigil.server.breaches import services as breach_services
from vigil.server.breaches.models import BreachIncident
from vigil.server.cases import consents as consent_services
from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening
from vigil.server.cases.models import StaleEdit as StaleEditFromCases
from vigil.server.disclosures import subject_requests
from vigil.server.disclosures.models import SubjectRequest
from vigil.server.emergency import services as emergency_services
from vigil.server.emergency.models import EmergencyAccess
from vigil.server.followups import services as followup_services
from vigil.server.followups.models import FollowUp
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider
from vigil.server.versioning import StaleEdit, Versioned, lock, transition
from vigil.server.web.versioning import STALE, VersionedForm, save_form


def test_stale_edit_keeps_its_former_home():
    assert StaleEditFromCases is StaleEdit


# --- fixtures: one record of every versioned model --------------------------------------------
@pytest.fixture
def records(users, orgs) -> dict[str, Any]:
    case = make_case(users["caseworker"], "Amina", "Synthetic", "DOC-V-0001")
    provider = ServiceProvider.objects.create(
        organisation=orgs["a"], name="Shelter A", service_type="shelter"
    )
    # A referral on the person's consent (accepting one needs the consent still in force).
    Consent.objects.create(case=case, purpose="referral", given=True, method="verbal")
    ref = Referral.objects.create(case=case, provider=provider, created_by=users["caseworker"])
    return {
        "person": case.person,
        "case": case,
        "stage": MigrationStage.objects.create(case=case, stage="work", place="Lyon", notes="first"),
        "consent": Consent.objects.create(case=case, purpose="referral", given=True, method="verbal"),
        "screening": screening_service.start(case, screening_service.DEFAULT_RULESET, users["caseworker"]),
        "followup": FollowUp.objects.create(case=case, due_on=date.today() + timedelta(days=7)),
        "referral": ref,
        "agreement": DataSharingAgreement.objects.create(
            discloser=orgs["a"], recipient=orgs["b"], legal_basis="MoU 2026", signed_on=date(2026, 1, 1)
        ),
        "breach": BreachIncident.objects.create(title="Lost phone", discovered_at=timezone.now()),
        "subject_request": SubjectRequest.objects.create(
            person=case.person, kind="access", channel="phone", due_on=date.today() + timedelta(days=30)
        ),
        "grant": EmergencyAccess.objects.create(
            user=users["inspector_b"], case=case, reason="Call from the police about this person now"
        ),
    }


# (record, a field and value written by the first saver, another field and value by the stale one)
EDITS = [
    ("person", ("phone", "+33 6 11 11 11 11"), ("narrative", "a stale narrative")),
    ("case", ("sector", "A"), ("closure_reason", "stale")),
    ("stage", ("place", "Marseille"), ("notes", "stale notes")),
    ("consent", ("method", "written"), ("given", False)),
    ("screening", ("age", 30), ("outcome", "stale")),
    ("followup", ("kind", "removal"), ("notes", "stale notes")),
    ("referral", ("reason", "Needs a shelter"), ("status", "declined")),
    ("agreement", ("document_reference", "MOU-1"), ("legal_basis", "stale")),
    ("breach", ("severity", "critical"), ("description", "stale description")),
    ("subject_request", ("verification", "document_seen"), ("outcome_note", "stale")),
    ("grant", ("end_reason", "done"), ("reason", "a stale reason for the grant")),
]


@pytest.mark.parametrize(("key", "first", "stale"), EDITS, ids=[e[0] for e in EDITS])
def test_every_model_refuses_a_stale_save_and_writes_only_the_fields_sent(records, key, first, stale):
    obj = records[key]
    model = type(obj)
    assert isinstance(obj, Versioned)
    reader_a = model.objects.get(pk=obj.pk)
    reader_b = model.objects.get(pk=obj.pk)
    read_version = reader_a.version
    before = {f.attname: getattr(reader_a, f.attname) for f in model._meta.concrete_fields}

    # A field changed in memory but not sent is never written.
    setattr(reader_a, stale[0], stale[1])
    reader_a.save_versioned(read_version, {first[0]: first[1]})
    stored = model.objects.get(pk=obj.pk)
    assert stored.version == read_version + 1 == reader_a.version
    assert getattr(stored, first[0]) == first[1]
    assert getattr(stored, stale[0]) == before[stale[0]]

    # The second saver read the same version: refused, nothing written, told the current version.
    with pytest.raises(StaleEdit) as refused:
        reader_b.save_versioned(read_version, {stale[0]: stale[1]})
    assert refused.value.current_version == read_version + 1
    again = model.objects.get(pk=obj.pk)
    assert getattr(again, stale[0]) == before[stale[0]] and again.version == read_version + 1
    assert str(refused.value) == f"record changed since it was read (now at version {read_version + 1})"


def test_only_editable_fields_are_accepted(records):
    with pytest.raises(ValueError, match="version"):
        records["person"].save_versioned(1, {"version": 9})
    with pytest.raises(ValueError, match="name_index"):
        records["person"].save_versioned(1, {"name_index": "x"})
    with pytest.raises(ValueError, match="reference"):
        records["case"].save_versioned(1, {"reference": "VG-X"})


def test_a_plain_save_bumps_the_version_so_a_versioned_save_from_before_is_refused(records):
    person = records["person"]
    old = Person.objects.get(pk=person.pk)
    person.address = "somewhere else"
    person.save()
    assert person.version == 2 == Person.objects.get(pk=person.pk).version
    with pytest.raises(StaleEdit):
        old.save_versioned(1, {"narrative": "lost?"})
    person.save(update_fields=["address"])
    assert Person.objects.get(pk=person.pk).version == 3


def test_person_blind_indexes_follow_a_partial_update_from_the_stored_other_half(records):
    person = records["person"]
    stale_copy = Person.objects.get(pk=person.pk)  # holds family name "Synthetic"
    other = Person.objects.get(pk=person.pk)
    other.save_versioned(1, {"family_name": "Renamed"})
    # stale_copy's in-memory family name is old; the client read version 2 elsewhere and sends it.
    stale_copy.save_versioned(2, {"given_name": "Zaina"})
    stored = Person.objects.get(pk=person.pk)
    assert (stored.given_name, stored.family_name) == ("Zaina", "Renamed")
    assert stored.name_index == Person.index_name("Zaina", "Renamed")
    assert Person.objects.filter(name_index=Person.index_name("Zaina", "Renamed")).count() == 1
    assert not Person.objects.filter(name_index=Person.index_name("Zaina", "Synthetic")).exists()
    assert stored.document_index == Person.index_document("DOC-V-0001")
    stale_copy.save_versioned(3, {"document_number": "NEW-77", "phone": "+33 7 00 00 00 01"})
    stored = Person.objects.get(pk=person.pk)
    assert stored.document_index == Person.index_document("NEW-77")
    assert stored.phone_index == Person.index_phone("+33 7 00 00 00 01")
    assert stored.name_index == Person.index_name("Zaina", "Renamed")  # untouched
    stale_copy.save_versioned(4, {"given_name": "", "family_name": ""})
    assert Person.objects.get(pk=person.pk).name_index == ""


def test_a_stale_partial_update_of_a_name_changes_no_index(records):
    person = records["person"]
    index = Person.objects.get(pk=person.pk).name_index
    Person.objects.get(pk=person.pk).save_versioned(1, {"address": "x"})
    with pytest.raises(StaleEdit):
        person.save_versioned(1, {"given_name": "Other"})
    stored = Person.objects.get(pk=person.pk)
    assert stored.name_index == index and stored.given_name == "Amina"


# --- transitions by services: of two steps from the same read, exactly one wins ----------------
def test_transition_and_lock_refuse_a_changed_state(records):
    ref = records["referral"]
    first, second = Referral.objects.get(pk=ref.pk), Referral.objects.get(pk=ref.pk)
    transition(first, {"status": "accepted"}, status="pending")
    with pytest.raises(StaleEdit):
        transition(second, {"status": "declined"}, status="pending")
    assert Referral.objects.get(pk=ref.pk).status == "accepted"
    with pytest.raises(StaleEdit):
        transition(first, {"status": "completed"}, expected_version=1, status="accepted")
    from django.db import transaction

    with transaction.atomic():
        lock(second, status="accepted")
        assert second.status == "accepted" and second.version == 2
    with transaction.atomic(), pytest.raises(StaleEdit):
        lock(second, status="pending")


def test_referral_steps_from_the_same_read_cannot_both_succeed(records, users):
    ref = records["referral"]
    receiver = users["caseworker"]
    a, b = Referral.objects.get(pk=ref.pk), Referral.objects.get(pk=ref.pk)
    referral_services.decide(a, "accept", receiver)
    with pytest.raises(StaleEdit):
        referral_services.decide(b, "decline", receiver, reason="No place left")
    stored = Referral.objects.get(pk=ref.pk)
    assert stored.status == "accepted" and stored.decline_reason == "" and stored.version == 2
    with pytest.raises(StaleEdit):
        referral_services.decide(stored, "complete", receiver, expected_version=1)
    referral_services.decide(stored, "complete", receiver, expected_version=2)
    assert Referral.objects.get(pk=ref.pk).status == "completed"
    assert AuditEntry.objects.filter(action="referral_declined").count() == 0


def test_followup_completion_and_consent_withdrawal_happen_once(records, users):
    fu = records["followup"]
    a, b = FollowUp.objects.get(pk=fu.pk), FollowUp.objects.get(pk=fu.pk)
    followup_services.complete(a, users["caseworker"], outcome="safe", notes="seen, fine")
    with pytest.raises(StaleEdit):
        followup_services.complete(b, users["supervisor"], outcome="re_exploited")
    stored = FollowUp.objects.get(pk=fu.pk)
    assert (stored.outcome, stored.done_by_id, stored.notes) == ("safe", users["caseworker"].pk, "seen, fine")
    assert not stored.retrafficking_risk

    consent = records["consent"]
    a, b = Consent.objects.get(pk=consent.pk), Consent.objects.get(pk=consent.pk)
    consent_services.withdraw(a, users["caseworker"], on=date(2026, 3, 1))
    with pytest.raises(StaleEdit):
        consent_services.withdraw(b, users["supervisor"], on=date(2026, 3, 2))
    stored = Consent.objects.get(pk=consent.pk)
    assert (stored.withdrawn_on, stored.withdrawn_by_id) == (date(2026, 3, 1), users["caseworker"].pk)


def test_screening_answers_merge_into_the_stored_answers(records):
    sc = records["screening"]
    rs = screening_service.ruleset_for(sc)
    first, second = [i.id for i in rs.indicators if i.question][:2]
    a, b = Screening.objects.get(pk=sc.pk), Screening.objects.get(pk=sc.pk)
    screening_service.update(a, sc.version, answers={first: True})
    with pytest.raises(StaleEdit):
        screening_service.update(b, sc.version, answers={second: True})
    b = Screening.objects.get(pk=sc.pk)
    screening_service.update(b, b.version, answers={second: False})
    assert Screening.objects.get(pk=sc.pk).answers == {first: True, second: False}


def test_breach_status_changes_from_the_same_read_cannot_both_succeed(records, users):
    admin = users["administrator"]
    inc = records["breach"]
    a, b = BreachIncident.objects.get(pk=inc.pk), BreachIncident.objects.get(pk=inc.pk)
    breach_services.change_status(admin, a, "assessing", via="api")
    with pytest.raises(StaleEdit):
        breach_services.change_status(admin, b, "closed", closure_summary="False alarm", via="api")
    stored = BreachIncident.objects.get(pk=inc.pk)
    assert stored.status == "assessing" and stored.closure_summary == ""
    assert stored.status_changes.count() == 1


def test_subject_request_closings_from_the_same_read_cannot_both_succeed(users, records):
    sup = users["supervisor"]
    req = SubjectRequest.objects.create(
        person=records["person"], kind="restriction", channel="phone", due_on=date.today()
    )
    a, b = SubjectRequest.objects.get(pk=req.pk), SubjectRequest.objects.get(pk=req.pk)
    subject_requests.complete(a, sup, "restricted", via="api")
    with pytest.raises(StaleEdit):
        subject_requests.refuse(b, sup, "Manifestly unfounded", via="api")
    stored = SubjectRequest.objects.get(pk=req.pk)
    assert (stored.status, stored.refusal_reason) == ("completed", "")


def test_retention_anonymisation_bumps_versions(records):
    from vigil.server.cases.retention import anonymise_case

    case = records["case"]
    editor = Person.objects.get(pk=case.person_id)
    anonymise_case(Case.objects.get(pk=case.pk))
    assert Case.objects.get(pk=case.pk).version == 2
    assert FollowUp.objects.get(pk=records["followup"].pk).version == 2
    with pytest.raises(StaleEdit):  # an edit based on the record before anonymisation
        editor.save_versioned(1, {"given_name": "Amina"})
    assert Person.objects.get(pk=case.person_id).given_name == ""


@pytest.mark.django_db(transaction=True)
def test_threads_racing_one_referral_step_exactly_one_wins(orgs):
    user = make_user("receiver", "caseworker", orgs["a"])
    case = make_case(user, doc="RACE-REF")
    provider = ServiceProvider.objects.create(organisation=orgs["a"], name="Shelter", service_type="shelter")
    Consent.objects.create(case=case, purpose="referral", given=True, method="verbal")
    ref = Referral.objects.create(case=case, provider=provider, created_by=user)
    copies = [Referral.objects.select_related("case__person").get(pk=ref.pk) for _ in range(6)]
    barrier = threading.Barrier(len(copies))
    outcomes: list[str] = []

    def step(i: int) -> None:
        try:
            barrier.wait()
            action = "accept" if i % 2 else "decline"
            referral_services.decide(copies[i], action, user, reason="No place")
            outcomes.append(action)
        except StaleEdit:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=step, args=(i,)) for i in range(len(copies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "stale"]
    assert len(outcomes) == 6 and len(winners) == 1
    stored = Referral.objects.get(pk=ref.pk)
    assert stored.status == {"accept": "accepted", "decline": "declined"}[winners[0]]
    assert stored.version == 2
    assert AuditEntry.objects.filter(action__startswith="referral_").count() == 1


# --- the API mixin and the page helper, as the lead will wire them -----------------------------
class _PersonSerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ("id", "given_name", "family_name", "phone", "birth_year")


def test_serializer_mixin_outputs_requires_and_checks_the_version(records):
    person = records["person"]
    assert _PersonSerializer(person).data["version"] == 1
    body = _PersonSerializer(person, data={"given_name": "Zaina"}, partial=True)
    assert not body.is_valid() and "version" in body.errors
    assert str(body.errors["version"][0]) == "Send the version you read."
    Person.objects.get(pk=person.pk).save_versioned(1, {"family_name": "Other"})
    body = _PersonSerializer(person, data={"given_name": "Zaina", "version": 1}, partial=True)
    assert body.is_valid()
    with pytest.raises(StaleEdit):
        body.save()
    body = _PersonSerializer(person, data={"given_name": "Zaina", "version": 2}, partial=True)
    assert body.is_valid()
    body.save()
    stored = Person.objects.get(pk=person.pk)
    assert (stored.given_name, stored.family_name, stored.version) == ("Zaina", "Other", 3)
    assert stored.name_index == Person.index_name("Zaina", "Other")
    created = _PersonSerializer(data={"given_name": "New", "version": 7})
    assert created.is_valid()
    new = created.save(organisation=person.organisation)
    assert new.version == 1


class _PersonForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = Person
        fields = ("given_name", "family_name", "phone")


def test_page_form_helper_saves_changed_fields_or_reports_a_stale_version(records):
    person = records["person"]
    unbound = _PersonForm(instance=person)
    assert unbound["version"].value() == 1 and 'type="hidden"' in str(unbound["version"])
    missing = _PersonForm({"given_name": "Amina", "family_name": "Synthetic"}, instance=person)
    assert not missing.is_valid() and "version" in missing.errors
    data = {"given_name": "Amina", "family_name": "Changed", "phone": person.phone, "version": 1}
    form = _PersonForm(data, instance=Person.objects.get(pk=person.pk))
    assert form.is_valid() and save_form(form, form.instance)
    stored = Person.objects.get(pk=person.pk)
    assert stored.family_name == "Changed" and stored.name_index == Person.index_name("Amina", "Changed")
    form = _PersonForm({**data, "phone": "+1"}, instance=Person.objects.get(pk=person.pk))
    assert form.is_valid() and not save_form(form, form.instance)
    assert str(STALE) in form.non_field_errors()
    assert Person.objects.get(pk=person.pk).phone == person.phone


# --- per-app APIs: without version 400, stale 409 problem, fresh 200 with only the fields sent --
def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def _is_stale_problem(response: Any, current: int) -> bool:
    body = response.json()
    return (
        response.status_code == 409
        and response["Content-Type"].startswith("application/problem+json")
        and body["type"].endswith("/stale-edit")
        and body["current_version"] == current
    )


def test_breach_api_patch_is_versioned_and_partial(records, users):
    inc = records["breach"]
    BreachIncident.objects.filter(pk=inc.pk).update(description="What happened", estimated_records=5)
    admin = client_for(users["administrator"])
    url = f"/api/breaches/{inc.pk}/"
    assert admin.get(url).json()["version"] == 1
    r = admin.patch(url, {"severity": "critical"}, format="json")
    assert r.status_code == 400 and _fields(r) == ["version"]
    r = admin.patch(url, {"severity": "critical", "version": 1}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = admin.patch(url, {"estimated_records": 40, "version": 1}, format="json")
    assert _is_stale_problem(r, 2)
    assert "estimated_records" not in r.content.decode()  # names no field, holds no value
    stored = BreachIncident.objects.get(pk=inc.pk)
    assert (stored.severity, stored.estimated_records, stored.description) == ("critical", 5, "What happened")
    r = admin.post(f"{url}status/", {"status": "assessing", "version": 1}, format="json")
    assert _is_stale_problem(r, 2)
    r = admin.post(f"{url}status/", {"status": "assessing", "version": 2}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "assessing" and r.json()["version"] == 3


def test_subject_request_api_is_versioned(records, users):
    req = records["subject_request"]
    sup = client_for(users["supervisor"])
    url = f"/api/subject-requests/{req.pk}/"
    assert sup.get(url).json()["version"] == 1
    r = sup.patch(url, {"verification": "document_seen"}, format="json")
    assert r.status_code == 400 and _fields(r) == ["version"]
    r = sup.patch(url, {"verification": "document_seen", "version": 1}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = sup.patch(url, {"outcome_note": "late", "version": 1}, format="json")
    assert _is_stale_problem(r, 2)
    stored = SubjectRequest.objects.get(pk=req.pk)
    assert (stored.verification, stored.outcome_note, stored.status) == ("document_seen", "", "received")
    r = sup.post(f"{url}refuse/", {"refusal_reason": "Unfounded", "version": 1}, format="json")
    assert _is_stale_problem(r, 2)
    assert SubjectRequest.objects.get(pk=req.pk).status == "received"


def test_emergency_api_steps_check_a_version_sent(records, users):
    grant = records["grant"]
    owner = client_for(users["caseworker"])
    url = f"/api/emergency-access/{grant.pk}/"
    r = owner.post(f"{url}acknowledge/", {"version": 5}, format="json")
    assert _is_stale_problem(r, 1)
    r = owner.post(f"{url}acknowledge/", {"version": 1}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    holder = client_for(users["inspector_b"])
    r = holder.post(f"{url}end/", {"version": 1}, format="json")
    assert _is_stale_problem(r, 2)
    assert EmergencyAccess.objects.get(pk=grant.pk).is_active
    r = holder.post(f"{url}end/", {"version": 2}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "ended" and r.json()["version"] == 3
    r = holder.post(f"{url}end/", {}, format="json")
    assert r.status_code == 409 and r.json()["type"].endswith("/emergency-access-closed")


def test_emergency_revoke_acknowledges_in_one_step(records, users):
    grant = records["grant"]
    emergency_services.revoke(grant, users["supervisor"], "No longer needed", expected_version=1, via="api")
    stored = EmergencyAccess.objects.get(pk=grant.pk)
    assert stored.ending == "revoked" and stored.acknowledged_by_id == users["supervisor"].pk
    assert stored.version == 3


# --- pages ------------------------------------------------------------------------------------
def _browser(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_breach_edit_page_refuses_a_stale_version(records, users):
    inc = records["breach"]
    admin = _browser(users["administrator"])
    page = admin.get(f"/breaches/{inc.pk}/edit/")
    assert 'name="version" value="1"' in page.content.decode()
    form = {
        "title": inc.title,
        "severity": "low",
        "category": inc.category,
        "discovered_at": timezone.localtime(inc.discovered_at).strftime("%Y-%m-%dT%H:%M"),
        "description": "",
        "containment_actions": "",
        "closure_summary": "",
        "version": 1,
    }
    BreachIncident.objects.get(pk=inc.pk).save_versioned(1, {"severity": "critical"})
    r = admin.post(f"/breaches/{inc.pk}/edit/", form)
    assert r.status_code == 409 and str(STALE) in r.content.decode()
    assert 'name="version" value="2"' in r.content.decode()
    assert BreachIncident.objects.get(pk=inc.pk).severity == "critical"
    r = admin.post(f"/breaches/{inc.pk}/edit/", {**form, "version": 2})
    assert r.status_code == 302 and BreachIncident.objects.get(pk=inc.pk).severity == "low"


def test_subject_request_page_refuses_a_stale_version(records, users):
    req = records["subject_request"]
    sup = _browser(users["supervisor"])
    page = sup.get(f"/disclosures/requests/{req.pk}/").content.decode()
    assert page.count('name="version" value="1"') >= 3
    SubjectRequest.objects.get(pk=req.pk).save_versioned(1, {"outcome_note": "by a colleague"})
    body = {"verification": "document_seen", "status": "in_progress", "outcome_note": "", "version": 1}
    r = sup.post(f"/disclosures/requests/{req.pk}/update/", body)
    assert r.status_code == 409 and str(STALE) in r.content.decode()
    stored = SubjectRequest.objects.get(pk=req.pk)
    assert (stored.outcome_note, stored.verification) == ("by a colleague", "")


# --- real concurrency over HTTP: the issue's eight parallel PATCHes --------------------------


@pytest.mark.django_db(transaction=True)
def test_eight_parallel_breach_patches_of_different_fields_all_land(live_server, orgs):
    admins = [make_user(f"admin{i}", "administrator", orgs["a"]) for i in range(8)]
    keys = [ApiToken.issue(u)[1] for u in admins]
    inc = BreachIncident.objects.create(title="Race", discovered_at=timezone.now() - timedelta(hours=1))
    url = f"{live_server.url}/api/breaches/{inc.pk}/"
    changes = [
        {"title": "Race, assessed"},
        {"description": "Described"},
        {"category": "malware"},
        {"severity": "critical"},
        {"estimated_records": 17},
        {"containment_actions": "Wiped"},
        {"closure_summary": "Summary"},
        {"occurred_from": (timezone.now() - timedelta(days=2)).isoformat()},
    ]
    first_round: list[int] = []
    conflicts: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(changes))

    def client(idx: int) -> None:
        status, current = http_call(url, keys[idx])
        barrier.wait()  # all eight have read the same version before anyone writes
        first = True
        while True:
            status, body = http_call(url, keys[idx], "PATCH", {**changes[idx], "version": current["version"]})
            if first:
                first_round.append(status)
                first = False
            if status == 200:
                return
            if status == 409 and body.get("type", "").endswith("/stale-edit"):
                conflicts.append(idx)
                status, current = http_call(url, keys[idx])
                continue
            errors.append(f"PATCH {status}")
            return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(changes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert first_round.count(200) == 1 and first_round.count(409) == 7  # from one version, one wins
    final = BreachIncident.objects.get(pk=inc.pk)
    assert final.version == 1 + len(changes)  # every edit landed exactly once
    assert (final.title, final.description, final.category, final.severity) == (
        "Race, assessed",
        "Described",
        "malware",
        "critical",
    )
    assert final.estimated_records == 17
    assert (final.containment_actions, final.closure_summary) == ("Wiped", "Summary")
    assert final.occurred_from is not None


@pytest.mark.django_db(transaction=True)
def test_eight_parallel_person_patches_as_an_inspector_lose_nothing(live_server, orgs):
    """The issue's reproduction: eight parallel PATCHes of /api/persons/{id}/, each changing
    another field, from the same version. One wins; the seven others get a 409 stale-edit problem
    (never a silent 200); re-reading and re-sending, every value lands, and a sequential PATCH
    without the version is refused (400), never applied blindly."""
    inspector = make_user("inspector_race", "inspector", orgs["a"])
    key = ApiToken.issue(inspector)[1]
    case = make_case(inspector, "Amina", "Synthetic", "DOC-RACE-1")
    url = f"{live_server.url}/api/persons/{case.person_id}/"
    changes = [
        {"given_name": "Zaina"},
        {"family_name": "Invented"},
        {"phone": "+373 60 000 111"},
        {"address": "1 Nowhere Street"},
        {"narrative": "Recruited with a false offer."},
        {"primary_language": "ro"},
        {"birth_year": 1994},
        {"citizenship": "MDA"},
    ]
    first_round: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(len(changes))

    def client(idx: int) -> None:
        _status, current = http_call(url, key)
        barrier.wait()
        first = True
        while True:
            status, body = http_call(url, key, "PATCH", {**changes[idx], "version": current["version"]})
            if first:
                first_round.append(status)
                first = False
            if status == 200:
                return
            if status == 409 and body.get("type", "").endswith("/stale-edit"):
                _status, current = http_call(url, key)
                continue
            errors.append(f"PATCH {status} {body}")
            return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(changes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert first_round.count(200) == 1 and first_round.count(409) == 7
    status, final = http_call(url, key)
    assert status == 200 and final["version"] == 1 + len(changes)
    for change in changes:
        ((name, value),) = change.items()
        assert final[name] == value, name
    person = Person.objects.get(pk=case.person_id)
    assert person.name_index == Person.index_name("Zaina", "Invented")  # blind index of both halves
    status, body = http_call(url, key, "PATCH", {"phone": "+373 60 999 999"})
    assert status == 400 and body["errors"][0]["field"] == "version"
    assert Person.objects.get(pk=case.person_id).phone == "+373 60 000 111"


@pytest.mark.parametrize("route", ["stages", "followups", "persons", "screenings"])
def test_patch_without_version_is_a_400_naming_it_on_every_first_generation_route(route, users, cases):
    """Found by the schema-conformance run: a serializer with its own validate() skipped the
    mixin's check and PATCH {} ended in a 500."""
    from vigil.server.cases import screening as screening_service

    case = cases["a_caseworker"]
    ids = {
        "stages": lambda: MigrationStage.objects.create(case=case, stage="work").pk,
        "followups": lambda: FollowUp.objects.create(case=case, due_on="2026-12-31").pk,
        "persons": lambda: case.person_id,
        "screenings": lambda: screening_service.start(case, "ilo-11", users["caseworker"]).pk,
    }
    r = client_for(users["caseworker"]).patch(f"/api/{route}/{ids[route]()}/", {}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "version", r.content
