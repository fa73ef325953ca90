"""Service providers and referrals. A referral shares only the fields chosen when it is made, and
only while the person's consent to referral is in force (or an override was recorded)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigil.server.accounts.models import Organisation
from vigil.server.cases.models import Case, has_consent


class ServiceProvider(models.Model):
    class ServiceType(models.TextChoices):
        SHELTER = "shelter", _("Shelter / safe accommodation")
        MEDICAL = "medical", _("Medical care")
        PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
        LEGAL = "legal", _("Legal assistance")
        LIVELIHOOD = "livelihood", _("Vocational training and livelihood")
        RETURN = "return", _("Return and reintegration")
        INTERPRETATION = "interpretation", _("Interpretation")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(_("name"), max_length=200)
    service_type = models.CharField(_("type of service"), max_length=24, choices=ServiceType.choices)
    area = models.CharField(_("area served"), max_length=200, blank=True)
    languages = models.CharField(_("languages (BCP 47, comma-separated)"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")

    def __str__(self) -> str:
        return self.name


# What a referral may share, and how to read each value from the case.
SHAREABLE = {
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "phone": _("Phone"),
    "primary_language": _("Primary language"),
    "gender": _("Gender"),
    "birth_year": _("Year of birth"),
    "citizenship": _("Citizenship"),
    "narrative": _("Narrative"),
    "screening_outcome": _("Latest screening outcome"),
}
DEFAULT_SHARED = ("given_name", "primary_language", "gender", "birth_year")


class Referral(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        REVOKED = "revoked", _("Revoked")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    provider = models.ForeignKey(ServiceProvider, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason for referral"), max_length=500, blank=True)
    shared_fields = models.JSONField(_("fields shared"), default=list)
    consent_overridden = models.BooleanField(default=False)
    override_reason = models.CharField(_("reason for overriding consent"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining or revoking"), max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"referral #{self.pk}"

    def sharing_allowed(self) -> bool:
        return self.consent_overridden or has_consent(self.case, "referral")

    def shared_data(self) -> dict[str, Any]:
        """Only the chosen fields, and nothing once consent to referral is withdrawn."""
        if self.status == self.Status.REVOKED or not self.sharing_allowed():
            return {}
        person = self.case.person
        out: dict[str, Any] = {}
        for name in self.shared_fields:
            if name == "screening_outcome":
                latest = self.case.screenings.order_by("-created_at", "-id").first()
                out[name] = latest.outcome if latest else ""
            elif name in SHAREABLE:
                out[name] = getattr(person, name)
        return out
