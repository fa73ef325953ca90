"""Encrypted export files (statistics microdata, a person's record for a data-subject access
request) and the register of data-subject requests (R10, R12, R9d)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigil.server.cases.models import Person
from vigil.server.versioning import Versioned


class ExportFile(models.Model):
    """One encrypted zip on disk, its field list, and its download link.

    The password is never stored; the link's token only as its SHA-256."""

    class Kind(models.TextChoices):
        STATISTICS = "statistics_microdata", _("Statistics microdata")
        SUBJECT_ACCESS = "subject_access", _("Subject access (a person's record)")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="export_files",
    )
    purpose = models.CharField(_("purpose declared"), max_length=500, blank=True)
    subject_request = models.ForeignKey(
        "disclosures.SubjectRequest",
        verbose_name=_("data-subject request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exports",
    )
    fields = models.JSONField(_("fields exported"), default=list)
    records = models.PositiveIntegerField(_("records"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    file_name = models.CharField(max_length=64, unique=True, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    max_downloads = models.PositiveSmallIntegerField(_("downloads allowed"), default=3)
    download_count = models.PositiveSmallIntegerField(_("downloads"), default=0)
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        indexes = (models.Index(fields=["purged_at", "expires_at"]),)

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.kind})"

    def available(self, now: object = None) -> bool:
        now = now or timezone.now()
        return (
            self.purged_at is None
            and self.expires_at > now  # type: ignore[operator]
            and self.download_count < self.max_downloads
        )

    @property
    def downloads_left(self) -> int:
        return max(0, self.max_downloads - self.download_count)


class SubjectRequest(Versioned):
    """A request by a person about the data held on them (access, correction, erasure...).

    No identity value here: the person is a foreign key; how identity was verified is a choice,
    never a document number; notes are checked not to contain the person's identity values."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (a copy of the record)")
        CORRECTION = "correction", _("Correction")
        ERASURE = "erasure", _("Erasure")
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("Email")
        REPRESENTATIVE = "representative", _("Through a representative")

    class Verification(models.TextChoices):
        NOT_YET = "", _("Not verified yet")
        DOCUMENT_SEEN = "document_seen", _("Identity document seen (number not recorded)")
        KNOWN_TO_STAFF = "known_to_staff", _("Known in person to the staff")
        CASE_DETAILS = "case_details", _("Answered questions only the person can answer")
        REPRESENTATIVE = "representative", _("Representative's authority checked")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")
        PARTIALLY_REFUSED = "partially_refused", _("Partially refused")

    OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="subject_requests"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    verification = models.CharField(
        _("identity verified by"), max_length=16, choices=Verification.choices, blank=True
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=300, blank=True)
    outcome_note = models.CharField(
        _("outcome note"), max_length=1000, blank=True, help_text=_("No identity value here.")
    )
    # What an erasure did: case ids anonymised, held, already anonymised.
    result = models.JSONField(_("result"), default=dict, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("due_on", "id")
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")

    def __str__(self) -> str:
        return f"subject request #{self.pk} ({self.kind})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()
