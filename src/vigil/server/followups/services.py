"""Follow-up steps. Completing one is a conditional UPDATE on "not done yet" (and the version the
client read, when sent): of two concurrent completions one wins, the other raises ``StaleEdit``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from vigil.server.followups.models import FollowUp
from vigil.server.versioning import transition


def complete(
    followup: FollowUp,
    user: Any,
    *,
    outcome: str,
    done_on: date | None = None,
    removal_verified: bool | None = None,
    retrafficking_risk: bool = False,
    notes: str = "",
    expected_version: int | None = None,
) -> FollowUp:
    changes: dict[str, Any] = {
        "done_on": done_on or timezone.localdate(),
        "done_by": user,
        "outcome": outcome,
        "removal_verified": removal_verified,
        "retrafficking_risk": retrafficking_risk or outcome == FollowUp.Outcome.RE_EXPLOITED,
    }
    if notes:
        changes["notes"] = notes
    return transition(followup, changes, expected_version=expected_version, done_on__isnull=True)
