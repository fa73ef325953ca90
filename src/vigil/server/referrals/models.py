"""Service providers, data-sharing agreements and referrals. A referral shares only the fields chosen
when it is made, only while the person's consent to referral is in force (or an override was
recorded), and, to another organisation, only under a data-sharing agreement in force that covers
those fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vigil.server.accounts.models import Organisation
from vigil.server.cases.models import Case, has_consent
from vigil.server.versioning import Versioned


class ProviderQuerySet(models.QuerySet["ServiceProvider"]):
    def with_places(self) -> ProviderQuerySet:
        """Annotate ``in_use``: referrals accepted and not yet completed (the places taken)."""
        return self.annotate(
            in_use=models.Count("referrals", filter=Q(referrals__status="accepted"), distinct=True)
        )


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
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, validators=[MaxValueValidator(100_000)]
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")

    def __str__(self) -> str:
        return self.name

    @property
    def places_in_use(self) -> int:
        in_use = getattr(self, "in_use", None)  # annotated by with_places(), else counted
        return in_use if in_use is not None else self.referrals.filter(status="accepted").count()

    @property
    def places_available(self) -> int | None:
        """Capacity minus the accepted referrals; None when the capacity is not given."""
        return None if self.capacity is None else max(0, self.capacity - self.places_in_use)


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


class DataSharingAgreement(Versioned):
    """A signed agreement under which one organisation (the discloser, which holds the case) may
    share named fields of its cases with another (the recipient) for a purpose (R13: register of
    data-sharing agreements; every referral to another organisation references one)."""

    class Purpose(models.TextChoices):
        REFERRAL = "referral", _("Referral to services")

    discloser = models.ForeignKey(
        Organisation, verbose_name=_("discloser"), on_delete=models.PROTECT, related_name="agreements_out"
    )
    recipient = models.ForeignKey(
        Organisation, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="agreements_in"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.REFERRAL)
    fields = models.JSONField(
        _("fields that may be shared"), default=list, help_text=_("Names from the list of shareable fields.")
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    document_reference = models.CharField(_("document reference"), max_length=100, blank=True)
    signed_on = models.DateField(_("signed on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("discloser__name", "recipient__name", "-signed_on")
        verbose_name = _("data-sharing agreement")
        verbose_name_plural = _("data-sharing agreements")
        indexes = (models.Index(fields=["discloser", "recipient", "purpose"]),)

    def __str__(self) -> str:
        return f"{self.discloser} -> {self.recipient} ({self.purpose}, {self.signed_on})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = sorted(set(self.fields or []) - set(SHAREABLE))
        if unknown:
            raise ValidationError({"fields": _("Not shareable fields: %s") % ", ".join(unknown)})
        if self.discloser_id and self.discloser_id == self.recipient_id:
            raise ValidationError({"recipient": _("An organisation needs no agreement with itself.")})
        if self.expires_on and self.expires_on < self.signed_on:
            raise ValidationError({"expires_on": _("The agreement expires before it was signed.")})

    def in_force(self, on: date) -> bool:
        return (
            self.signed_on <= on
            and (self.expires_on is None or on <= self.expires_on)
            and (self.terminated_on is None or on < self.terminated_on)
        )

    @classmethod
    def in_force_q(cls, on: date) -> Q:
        return (
            Q(signed_on__lte=on)
            & (Q(expires_on__isnull=True) | Q(expires_on__gte=on))
            & (Q(terminated_on__isnull=True) | Q(terminated_on__gt=on))
        )

    @classmethod
    def covering(
        cls, discloser_id: int, recipient_id: int, fields: list[str], on: date
    ) -> DataSharingAgreement | None:
        """The agreement in force (latest signed first) that covers all ``fields``, if any."""
        wanted = set(fields)
        candidates = cls.objects.filter(
            cls.in_force_q(on),
            discloser_id=discloser_id,
            recipient_id=recipient_id,
            purpose=cls.Purpose.REFERRAL,
        ).order_by("-signed_on", "-id")
        for agreement in candidates:
            if wanted <= set(agreement.fields or []):
                return agreement
        return None


class Referral(Versioned):
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
    agreement = models.ForeignKey(
        DataSharingAgreement,
        verbose_name=_("data-sharing agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        help_text=_("Empty for a referral inside the organisation."),
    )
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
