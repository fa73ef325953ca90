"""The breach register (R14): incidents, their status history and notifications, and account
suspensions made to contain them.

Free text (description, containment actions, closure summary, notes) is encrypted at rest like
identity fields: a breach record may have to describe what leaked. Titles and references are plain
(they are listed and searched), so titles must never hold identity data.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigil.server.accounts.models import Organisation
from vigil.server.cases.models import Case
from vigil.server.drawn_codes import save_with_drawn_code
from vigil.server.fields import EncryptedTextField
from vigil.server.versioning import Versioned

NO_IDENTITY = _("No names, document numbers, phone numbers, addresses or other identity data.")


class BreachIncident(Versioned):
    class Category(models.TextChoices):
        LOST_DEVICE = "lost_device", _("Lost or stolen device")
        UNAUTHORISED_ACCESS = "unauthorised_access", _("Unauthorised access")
        MISDIRECTED_DISCLOSURE = "misdirected_disclosure", _("Misdirected disclosure")
        MALWARE = "malware", _("Malware")
        INSIDER_MISUSE = "insider_misuse", _("Insider misuse")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ASSESSING = "assessing", _("Assessing")
        CONTAINED = "contained", _("Contained")
        NOTIFIED = "notified", _("Notified")
        CLOSED = "closed", _("Closed")

    SEVERITY_MEANING: ClassVar[dict[str, Any]] = {
        "low": _("No identity data exposed, or exposure contained with no plausible harm."),
        "medium": _("Limited identity data exposed to a trusted party; harm unlikely."),
        "high": _("Identity or case data exposed outside need-to-know; harm possible."),
        "critical": _("Identity or whereabouts of victims may be known to exploiters: act now."),
    }

    # Which status may follow which. Closing early (a false alarm, no notification needed) is
    # allowed with a closure summary; a closed incident may be reopened for assessment.
    TRANSITIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "reported": ("assessing", "closed"),
        "assessing": ("contained", "closed"),
        "contained": ("notified", "closed"),
        "notified": ("closed",),
        "closed": ("assessing",),
    }

    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200, help_text=NO_IDENTITY)
    description = EncryptedTextField(
        _("what happened"),
        blank=True,
        default="",
        help_text=_("What happened and what data may be affected. Refer to cases by reference only."),
    )
    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, default=Category.OTHER
    )
    severity = models.CharField(
        _("severity"),
        max_length=16,
        choices=Severity.choices,
        default=Severity.HIGH,
        help_text=_("Treated as high until assessed."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPORTED)
    discovered_at = models.DateTimeField(_("discovered at"))
    occurred_from = models.DateTimeField(_("occurred from"), null=True, blank=True)
    occurred_to = models.DateTimeField(_("occurred until"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="breaches_reported",
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    cases = models.ManyToManyField(
        Case, verbose_name=_("affected cases"), blank=True, related_name="breach_incidents"
    )
    estimated_records = models.PositiveIntegerField(
        _("estimated records affected"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(2_000_000_000)],
        help_text=_("When not every affected case is known."),
    )
    organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("other affected organisations"),
        blank=True,
        related_name="breach_incidents",
        help_text=_("Besides the organisations of the affected cases."),
    )
    containment_actions = EncryptedTextField(_("containment actions"), blank=True, default="")
    closure_summary = EncryptedTextField(_("closure summary"), blank=True, default="")
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-reported_at", "-id")
        verbose_name = _("breach incident")
        verbose_name_plural = _("breach incidents")
        indexes = (models.Index(fields=["status", "severity"]),)

    def __str__(self) -> str:
        return self.reference or f"breach #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is None and not self.reference:
            save_with_drawn_code(
                self, "reference", next_reference, lambda: super(BreachIncident, self).save(*args, **kwargs)
            )
            return
        super().save(*args, **kwargs)

    @property
    def severity_meaning(self) -> str:
        return str(self.SEVERITY_MEANING.get(self.severity, ""))

    def allowed_next(self) -> tuple[str, ...]:
        return self.TRANSITIONS.get(self.status, ())

    def affected_organisation_ids(self) -> set[int]:
        derived = set(self.cases.values_list("organisation_id", flat=True))
        return derived | set(self.organisations.values_list("id", flat=True))


def next_reference() -> str:
    """``BR-2026-0001``: sequential within the year (the register is not secret to its readers)."""
    prefix = f"BR-{timezone.now().year}-"
    last = (
        BreachIncident.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


class BreachStatusChange(models.Model):
    incident = models.ForeignKey(BreachIncident, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=16, choices=BreachIncident.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=BreachIncident.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    note = EncryptedTextField(_("note"), blank=True, default="")

    class Meta:
        ordering = ("changed_at", "id")
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class BreachNotification(models.Model):
    class Recipient(models.TextChoices):
        DPO = "dpo", _("Data-protection officer")
        ORGANISATION = "organisation", _("Affected organisation")
        AUTHORITY = "authority", _("Supervisory authority")
        DATA_SUBJECTS = "data_subjects", _("Data subjects")

    class Method(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Telephone")
        LETTER = "letter", _("Letter")
        IN_PERSON = "in_person", _("In person")
        PORTAL = "portal", _("Authority's portal or form")
        OTHER = "other", _("Other")

    incident = models.ForeignKey(BreachIncident, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.CharField(_("to whom"), max_length=16, choices=Recipient.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notified_at = models.DateTimeField(_("notified at"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    note = EncryptedTextField(_("note"), blank=True, default="", help_text=NO_IDENTITY)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("notified_at", "id")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.recipient} ({self.incident_id})"


class AccountSuspension(models.Model):
    """One suspension of an account (containment), and its end when reactivated."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    incident = models.ForeignKey(
        BreachIncident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suspensions",
    )
    reason = models.CharField(_("reason"), max_length=500, help_text=NO_IDENTITY)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    suspended_at = models.DateTimeField(_("suspended at"), default=timezone.now)
    tokens_deleted = models.PositiveIntegerField(default=0)
    sessions_deleted = models.PositiveIntegerField(default=0)
    reactivated_at = models.DateTimeField(_("reactivated at"), null=True, blank=True)
    reactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reactivation_reason = models.CharField(_("reason for reactivation"), max_length=500, blank=True)

    class Meta:
        ordering = ("-suspended_at", "-id")
        verbose_name = _("account suspension")
        verbose_name_plural = _("account suspensions")

    def __str__(self) -> str:
        return f"suspension of user {self.user_id}"
