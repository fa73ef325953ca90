"""Retention: anonymise closed cases after their period (unless on legal hold), purge expired
tokens and old failed-login records. Run daily: ``python -m vigil.server apply_retention``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vigil.server.audit.log import record
from vigil.server.cases.models import Case, Person, RetentionPolicy


@dataclass
class RetentionReport:
    anonymised_cases: list[int] = field(default_factory=list)
    held_cases: list[int] = field(default_factory=list)
    anonymised_persons: int = 0
    tokens_deleted: int = 0
    login_attempts_deleted: int = 0


def due_cases(today: date) -> tuple[list[Case], list[Case]]:
    """(cases to anonymise, cases past their period but on legal hold)."""
    cutoff = today - timedelta(days=RetentionPolicy.days_for("closed_case"))
    past = Case.objects.filter(
        status__in=[Case.Status.CLOSED, Case.Status.CLOSED_REFERRED],
        closed_on__isnull=False,
        closed_on__lte=cutoff,
        anonymised_at__isnull=True,
    ).select_related("person")
    due = [c for c in past if not c.legal_hold]
    held = [c for c in past if c.legal_hold]
    return due, held


def anonymise_case(case: Case) -> bool:
    """Blank the encrypted free text of the case; the person too once none of their cases is kept.
    Returns True when the person was anonymised."""
    now = timezone.now()
    for stage in case.stages.all():
        stage.employer_or_recruiter = ""
        stage.notes = ""
        stage.save(update_fields=["employer_or_recruiter", "notes"])
    # Every write bumps the version: an edit based on the record before anonymisation is refused.
    case.followups.update(notes="", version=F("version") + 1)
    Case.objects.filter(pk=case.pk).update(anonymised_at=now, version=F("version") + 1, updated_at=now)
    person: Person = case.person
    if person.cases.filter(anonymised_at__isnull=True).exists():
        return False
    for name in Person.IDENTITY_FIELDS:
        setattr(person, name, "")
    person.birth_year = None
    person.save()  # also blanks the blind indexes
    return True


def apply(today: date | None = None, *, dry_run: bool = False) -> RetentionReport:
    today = today or timezone.localdate()
    report = RetentionReport()
    due, held = due_cases(today)
    report.held_cases = [c.pk for c in held]
    report.anonymised_cases = [c.pk for c in due]
    if dry_run:
        return report
    for case in due:
        with transaction.atomic():
            person_done = anonymise_case(case)
            report.anonymised_persons += int(person_done)
            record(
                "anonymise",
                object_type="case",
                object_id=case.pk,
                via="retention",
                detail={"person_anonymised": person_done},
            )
    from axes.models import AccessAttempt

    from vigil.server.accounts.models import ApiToken

    token_cutoff = timezone.now() - timedelta(days=RetentionPolicy.days_for("api_token"))
    report.tokens_deleted = ApiToken.objects.filter(expires_at__lt=token_cutoff).delete()[0]
    attempt_cutoff = timezone.now() - timedelta(days=RetentionPolicy.days_for("login_attempt"))
    report.login_attempts_deleted = AccessAttempt.objects.filter(attempt_time__lt=attempt_cutoff).delete()[0]
    record(
        "retention",
        object_type="system",
        via="retention",
        detail={
            "anonymised_cases": len(report.anonymised_cases),
            "held_cases": len(report.held_cases),
            "tokens_deleted": report.tokens_deleted,
            "login_attempts_deleted": report.login_attempts_deleted,
        },
    )
    return report
