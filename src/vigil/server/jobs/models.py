"""The record of every job run, and one lock row per job so that one process at a time runs it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run (or skipped attempt) of a job: when, where, how it ended, its counts.

    ``summary`` holds counts only; ``error_message`` holds the message of a ``JobError`` (ids and
    counts) or, for any other exception, only where it was raised (its message may quote data).
    """

    class Status(models.TextChoices):
        OK = "ok", _("succeeded")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped (running elsewhere)")

    name = models.CharField(_("job"), max_length=64)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error_class = models.CharField(_("error class"), max_length=200, blank=True)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = (models.Index(fields=["name", "status", "started_at"]),)

    def __str__(self) -> str:
        return f"{self.name} {self.status} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class JobLock(models.Model):
    """A row per job name, created on first use. On PostgreSQL the runner holds a row lock on it
    (``SELECT ... FOR UPDATE SKIP LOCKED``) for the whole run; on SQLite the database write lock
    taken by the run's transaction does the same."""

    name = models.CharField(_("job"), max_length=64, primary_key=True)
    # The clock was found behind the last success (a step back: NTP, a wrong clock set right):
    # the interval is counted from ``counted_from`` instead of that run's start (see runner).
    counted_from = models.DateTimeField(_("interval counted from"), null=True, blank=True, editable=False)
    counted_from_run = models.PositiveBigIntegerField(_("for the run"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("job lock")
        verbose_name_plural = _("job locks")

    def __str__(self) -> str:
        return self.name
