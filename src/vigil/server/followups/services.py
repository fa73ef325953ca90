from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from vigil.server.followups.models import FollowUp


def complete(
    followup: FollowUp,
    user: Any,
    *,
    outcome: str,
    done_on: date | None = None,
    removal_verified: bool | None = None,
    retrafficking_risk: bool = False,
    notes: str = "",
) -> FollowUp:
    followup.done_on = done_on or timezone.localdate()
    followup.done_by = user
    followup.outcome = outcome
    followup.removal_verified = removal_verified
    followup.retrafficking_risk = retrafficking_risk or outcome == FollowUp.Outcome.RE_EXPLOITED
    if notes:
        followup.notes = notes
    followup.save()
    return followup
