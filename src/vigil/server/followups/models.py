"""Follow-ups: scheduled check-ins after identification or referral, until the person is safe."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigil.server.cases.models import Case
from vigil.server.fields import EncryptedTextField
from vigil.server.referrals.models import Referral
from vigil.server.versioning import Versioned


class FollowUp(Versioned):
    class Kind(models.TextChoices):
        CHECK_IN = "check_in", _("Check-in with the person")
        REMOVAL = "removal", _("Verify removal from the workplace")
        REFERRAL = "referral", _("Check the referral was followed")

    class Outcome(models.TextChoices):
        SAFE = "safe", _("Safe")
        IN_SERVICES = "in_services", _("Receiving services")
        RETURNED = "returned", _("Returned home")
        STILL_AT_RISK = "still_at_risk", _("Still at risk")
        LOST_CONTACT = "lost_contact", _("Contact lost")
        RE_EXPLOITED = "re_exploited", _("Exploited again")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CHECK_IN)
    due_on = models.DateField(_("due on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    removal_verified = models.BooleanField(_("removal from the workplace verified"), null=True, blank=True)
    retrafficking_risk = models.BooleanField(_("risk of re-trafficking"), default=False)
    notes = EncryptedTextField(_("notes"), blank=True, default="")

    class Meta:
        ordering = ("due_on", "id")
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"follow-up #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.done_on is None

    @property
    def overdue(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()
