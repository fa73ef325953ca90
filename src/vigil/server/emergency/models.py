"""Break-glass access (R6): a time-limited, reasoned, audited read access to one case outside the
user's scope, which the owner of the case is alerted to.

A grant covers *reading* only (see ``vigil.server.scoping``): ``cases_for`` and ``persons_for``
include the case while the grant is active, ``editable_cases_for`` and ``can_edit_case`` never do.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigil.server.cases.models import Case
from vigil.server.versioning import Versioned
from vigil.server.web import request_cache

DEFAULT_HOURS = 3
MAX_HOURS = 24


def grant_hours() -> float:
    """``VIGIL_EMERGENCY_HOURS`` from the settings, else from the environment, else 3; at most 24."""
    raw = getattr(settings, "VIGIL_EMERGENCY_HOURS", os.environ.get("VIGIL_EMERGENCY_HOURS") or DEFAULT_HOURS)
    try:
        hours = float(raw)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"VIGIL_EMERGENCY_HOURS: expected hours, got {raw!r}") from None
    if not 0 < hours <= MAX_HOURS:
        raise ImproperlyConfigured(f"VIGIL_EMERGENCY_HOURS: expected more than 0 and at most {MAX_HOURS}")
    return hours


def default_expiry() -> datetime:
    return timezone.now() + timedelta(hours=grant_hours())


STATUS_LABELS = {
    "active": _("active"),
    "expired": _("expired"),
    "ended": _("ended by the user"),
    "revoked": _("revoked"),
}


class EmergencyAccessQuerySet(models.QuerySet):
    def active(self) -> QuerySet[EmergencyAccess]:
        """Not expired and not ended: the condition of the (user, expires_at) partial index."""
        return self.filter(expires_at__gt=timezone.now(), ended_at__isnull=True)


class EmergencyAccess(Versioned):
    class Ending(models.TextChoices):
        ENDED = "ended", _("Ended by the user")
        REVOKED = "revoked", _("Revoked by a supervisor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="emergency_accesses",
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="emergency_accesses"
    )
    reason = models.CharField(
        _("reason"),
        max_length=500,
        help_text=_(
            "Why you must see this case now (who called, what must be done). Never write a name, "
            "a document number, a phone number or an address here: the reason is shown to the owner "
            "and kept in the audit log."
        ),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=default_expiry)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ending = models.CharField(_("how it ended"), max_length=8, choices=Ending.choices, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = EmergencyAccessQuerySet.as_manager()

    class Meta:
        ordering = ("-granted_at", "-id")
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = (
            # What scoping.cases_for asks on every request: this user's grants not ended yet.
            models.Index(
                fields=["user", "expires_at"],
                condition=Q(ended_at__isnull=True),
                name="emergency_active_idx",
            ),
            models.Index(fields=["case", "acknowledged_at"], name="emergency_case_ack_idx"),
        )

    def __str__(self) -> str:
        # Never the reason: strings of objects end up in logs and admin messages.
        return f"emergency access #{self.pk} to case {self.case_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        """``active``, ``expired``, ``ended`` or ``revoked``."""
        if self.ended_at is not None:
            return self.ending or self.Ending.ENDED
        return "active" if self.expires_at > timezone.now() else "expired"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def window_end(self) -> datetime:
        """When the access stopped (or will stop)."""
        if self.ended_at is not None and self.ended_at < self.expires_at:
            return self.ended_at
        return self.expires_at


def _forget_grants(**kwargs: object) -> None:
    """A grant saved or deleted in a request: ``scoping.granted_case_ids`` reads again."""
    request_cache.forget("granted")


models.signals.post_save.connect(_forget_grants, sender=EmergencyAccess, dispatch_uid="vigil-forget-grants")
models.signals.post_delete.connect(_forget_grants, sender=EmergencyAccess, dispatch_uid="vigil-forget-grants")
