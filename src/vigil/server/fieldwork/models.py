"""Field submissions stored on the server (issue 13): an upload of a Kobo or ODK Central export
and, per person interviewed, a field screening linked to a case.

A field screening keeps the record the rule set read (indicator answers, scoped ones such as
``D1.PN04``, facts such as the Palermo act, age) and the determination computed in batch by
``vigil.rules``, with its rule-set version, indicators fired and deciding rule. It holds no
identity: a name, phone or document number collected with the form goes, encrypted, into the
case's person (``cases.Person``). The upload keeps counts and a digest of the file, never the
file or its name (a file name may name the person).

``submission_id`` is the submission's UUID (``<uuid>/workers[2]`` for a person of a repeat
group); it is unique per organisation, so importing the same export twice adds nothing.

An edited submission (ODK Collect, Enketo or KoboToolbox after an edit: ``meta/deprecatedID``
names the version it replaces) replaces the stored screening of the earlier version in place
(its answers and determination; audited with both versions and outcomes) instead of adding a
second one. Every version id a screening has had is kept (``FieldScreeningVersion``), so an
older export imported again adds nothing and never undoes the edit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vigil.rules import explain_text
from vigil.server.accounts.models import Organisation
from vigil.server.cases.models import Case


class FieldUpload(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    kind = models.CharField(_("file type"), max_length=8)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    ruleset = models.CharField(_("rule set"), max_length=64)
    ruleset_version = models.CharField(_("rule-set version"), max_length=32)
    form_id = models.CharField(_("form"), max_length=200)
    submissions = models.PositiveIntegerField(_("submissions in the file"), default=0)
    stored = models.PositiveIntegerField(_("screenings stored"), default=0)
    already_stored = models.PositiveIntegerField(_("already stored before"), default=0)
    duplicates = models.PositiveIntegerField(_("repeated in the file"), default=0)
    without_consent = models.PositiveIntegerField(_("without consent (not screened)"), default=0)
    new_cases = models.PositiveIntegerField(_("new cases opened"), default=0)
    replaced = models.PositiveIntegerField(_("edited submissions replacing an earlier version"), default=0)

    class Meta:
        ordering = ("-uploaded_at", "-id")
        verbose_name = _("field upload")
        verbose_name_plural = _("field uploads")

    def __str__(self) -> str:
        return f"field upload #{self.pk}"


class FieldScreening(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    upload = models.ForeignKey(FieldUpload, on_delete=models.CASCADE, related_name="screenings")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="field_screenings")
    submission_id = models.CharField(_("submission"), max_length=200)
    ruleset = models.CharField(_("rule set"), max_length=64)
    ruleset_version = models.CharField(_("rule-set version"), max_length=32)
    # the record as the rule set reads it: {"indicators": {...}, "facts": {...}, "age": n}
    answers = models.JSONField(_("answers"), default=dict)
    determination = models.JSONField(_("determination"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("upload", "id")
        verbose_name = _("field screening")
        verbose_name_plural = _("field screenings")
        constraints = (
            models.UniqueConstraint(fields=("organisation", "submission_id"), name="fieldscreening_once"),
        )

    def __str__(self) -> str:
        return f"field screening #{self.pk}"

    def why_text(self) -> str:
        """What decided, in the request's language (the stored English text for a screening
        stored before the explanation tree)."""
        return explain_text.decided_by(self.determination or {}, translation.get_language(), self.ruleset)


class FieldScreeningVersion(models.Model):
    """One instance id (one version of a submission, ``<instanceID>`` or ``<instanceID>/workers[2]``)
    stored as, or replaced by, a field screening."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey(FieldScreening, on_delete=models.CASCADE, related_name="versions")
    instance_id = models.CharField(_("submission version"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("screening", "id")
        verbose_name = _("field screening version")
        verbose_name_plural = _("field screening versions")
        constraints = (
            models.UniqueConstraint(
                fields=("organisation", "instance_id"), name="fieldscreeningversion_once"
            ),
        )

    def __str__(self) -> str:
        return f"field screening version #{self.pk}"
