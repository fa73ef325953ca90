"""Consent steps done by services. A consent record is never edited; it is withdrawn once."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from vigil.server.cases.models import Consent
from vigil.server.versioning import transition


def withdraw(
    consent: Consent, user: Any, *, on: date | None = None, expected_version: int | None = None
) -> Consent:
    """Withdraw a consent in force: one conditional UPDATE on "given and not withdrawn" (and the
    version read, when sent). Of two concurrent withdrawals one wins; the other raises
    ``StaleEdit`` (409), so the first date and author are never overwritten.

    The caller checks ``consent.in_force`` first to answer 400 for a consent already withdrawn
    or refused when it was read; audits in the same transaction."""
    return transition(
        consent,
        {"withdrawn_on": on or timezone.localdate(), "withdrawn_by": user},
        expected_version=expected_version,
        given=True,
        withdrawn_on__isnull=True,
    )
