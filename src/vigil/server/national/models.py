"""Releases of figures (what the public statistics page shows) and early-warning alerts.

A release stores the figures as published: every cell already disclosure-checked, hidden cells
``None`` with the reason, never a count below ``k``. An alert stores the evidence of one unit and
week (observed, expected, upper threshold, the method's settings) and what a responsible user
decided about it; every decision is audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Release(models.Model):
    indicator_set = models.CharField(_("indicator set"), max_length=64)
    set_version = models.CharField(_("indicator set version"), max_length=32)
    period = models.CharField(_("period released"), max_length=16)  # "2025"
    k = models.PositiveIntegerField(_("smallest count published"))
    figures = models.JSONField(_("figures"), default=list)
    note = models.CharField(_("note"), max_length=500, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(auto_now_add=True)
    # the estimates of the year stored when it was released (see Estimate), as published
    estimates = models.JSONField(_("estimates"), default=list, blank=True)

    class Meta:
        ordering = ("-released_at", "-id")
        verbose_name = _("release of figures")
        verbose_name_plural = _("releases of figures")

    def __str__(self) -> str:
        return f"{self.indicator_set} {self.period} (release #{self.pk})"


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISMISSED = "dismissed", _("Dismissed")

    series = models.CharField(_("what is counted"), max_length=64)  # "new cases"
    unit_type = models.CharField(_("unit type"), max_length=32)  # "sector"
    unit = models.CharField(_("unit"), max_length=100)
    week = models.DateField(_("week (Monday)"))
    observed = models.PositiveIntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    upper = models.FloatField(_("upper threshold"))
    method = models.JSONField(_("method and settings"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.PositiveIntegerField(_("e-mails sent"), default=0)
    # what was opened on it: a workplace visit (inspections) or an agency review (recruitment),
    # by kind and id (no foreign key: either app may be absent)
    acted = models.CharField(_("opened on this alert"), max_length=16, blank=True, choices=(
        ("", _("nothing")), ("visit", _("an inspection visit")), ("agency_review", _("an agency review"))
    ))
    acted_ref = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-week", "-observed", "id")
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = (
            models.UniqueConstraint(
                fields=("series", "unit_type", "unit", "week"), name="national_alert_once"
            ),
        )

    def __str__(self) -> str:
        return f"alert #{self.pk}"


class Estimate(models.Model):
    """A statistical estimate for a year, kept for the annual report and the release: a multiple
    systems estimate of the hidden population or a survey estimate, with its interval, as written
    by ``vigil estimate mse|survey --format json`` and uploaded by the coordinator. Aggregates
    only: the method's words and figures, never a record."""

    class Kind(models.TextChoices):
        MSE = "mse", _("Multiple systems estimation")
        SURVEY = "survey", _("Survey")

    year = models.CharField(_("year"), max_length=4)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    source = models.CharField(_("source file"), max_length=200)
    label = models.CharField(_("what is estimated"), max_length=300)
    value = models.FloatField(_("estimate"), null=True)
    low = models.FloatField(_("lower bound"), null=True)
    high = models.FloatField(_("upper bound"), null=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-year", "id")
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")

    def __str__(self) -> str:
        return f"estimate #{self.pk}"

    def as_report(self) -> Any:
        from vigil.server.national.report import Estimate as ReportEstimate

        return ReportEstimate(
            self.source, self.label, self.value, self.low, self.high, self.note, kind=self.kind
        )

    def as_published(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "note": self.note,
            "source": self.source,
        }
