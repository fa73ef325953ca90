"""Retention: closed cases anonymised after their period, legal hold blocks it; token purge."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from tests.server.conftest import client_for, make_case

from vigil.server.accounts.models import ApiToken
from vigil.server.audit.models import AuditEntry
from vigil.server.cases import retention
from vigil.server.cases.models import Case, MigrationStage, Person, RetentionPolicy

pytestmark = pytest.mark.django_db
TODAY = date(2032, 6, 1)


def closed(owner, doc, closed_on, **extra):
    case = make_case(owner, doc=doc)
    Case.objects.filter(pk=case.pk).update(
        status="Closed", closure_reason="safe", closed_on=closed_on, **extra
    )
    MigrationStage.objects.create(case=case, stage="work", employer_or_recruiter="Farm Owner X", notes="note")
    return Case.objects.get(pk=case.pk)


def test_anonymise_after_period_except_legal_hold(users):
    owner = users["caseworker"]
    old = closed(owner, "OLD-1", date(2026, 1, 1))
    held = closed(owner, "HELD-1", date(2026, 1, 1), legal_hold=True, legal_hold_reason="trial pending")
    recent = closed(owner, "NEW-1", date(2031, 1, 1))
    open_case = make_case(owner, doc="OPEN-1")
    report = retention.apply(TODAY)
    assert report.anonymised_cases == [old.pk] and report.held_cases == [held.pk]
    person = Person.objects.get(pk=old.person_id)
    assert all(getattr(person, f) == "" for f in Person.IDENTITY_FIELDS)
    assert person.document_index == "" and person.name_index == "" and person.birth_year is None
    assert MigrationStage.objects.get(case=old).employer_or_recruiter == ""
    assert Case.objects.get(pk=old.pk).anonymised_at is not None
    for kept in (held, recent, open_case):
        assert Person.objects.get(pk=kept.person_id).document_number != ""
    assert AuditEntry.objects.filter(action="anonymise", object_id=str(old.pk)).exists()
    assert retention.apply(TODAY).anonymised_cases == []  # idempotent


def test_person_with_a_live_case_keeps_identity_until_all_are_due(users):
    owner = users["caseworker"]
    old = closed(owner, "MULTI-1", date(2026, 1, 1))
    Case.objects.create(person=old.person, organisation=owner.organisation, owner=owner)
    report = retention.apply(TODAY)
    assert report.anonymised_cases == [old.pk] and report.anonymised_persons == 0
    assert Person.objects.get(pk=old.person_id).document_number == "MULTI-1"


def test_policy_is_configurable_and_dry_run_changes_nothing(users):
    RetentionPolicy.objects.create(record_type="closed_case", days=30)
    case = closed(users["caseworker"], "SHORT-1", TODAY - timedelta(days=40))
    out = StringIO()
    call_command("apply_retention", "--dry-run", "--today", TODAY.isoformat(), stdout=out)
    assert "would anonymise 1 closed cases" in out.getvalue()
    assert Person.objects.get(pk=case.person_id).document_number == "SHORT-1"
    call_command("apply_retention", "--today", TODAY.isoformat(), stdout=out)
    assert Person.objects.get(pk=case.person_id).document_number == ""


def test_expired_tokens_purged(users):
    token, _key = ApiToken.issue(users["caseworker"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=31))
    fresh, _ = ApiToken.issue(users["caseworker"])
    report = retention.apply()
    assert report.tokens_deleted == 1 and ApiToken.objects.filter(pk=fresh.pk).exists()


def test_legal_hold_only_by_supervisors_with_a_reason(users, cases):
    case = cases["a_caseworker"]
    url = f"/api/cases/{case.pk}/"
    r = client_for(users["caseworker"]).patch(
        url, {"version": 1, "legal_hold": True, "legal_hold_reason": "x"}, format="json"
    )
    assert r.status_code == 400
    sup = client_for(users["supervisor"])
    assert sup.patch(url, {"version": 1, "legal_hold": True}, format="json").status_code == 400
    r = sup.patch(
        url, {"version": 1, "legal_hold": True, "legal_hold_reason": "court order 12/2026"}, format="json"
    )
    assert r.status_code == 200 and r.json()["legal_hold"] is True, r.content
