"""The audit log: append-only, each entry carrying the hash of the one before it.

Entries hold who, when, what (action, object type and id, the *names* of fields changed) and why
(a reason) — never an identity value. ``AuditHead`` is a one-row table whose update serialises
writers, so the chain has no forks on SQLite or PostgreSQL.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), db_index=True)
    # No foreign keys: deleting or anonymising a user or a case must never touch the log.
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    via = models.CharField(_("channel"), max_length=16, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = (models.Index(fields=["object_type", "object_id"]),)

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """One row (id=1): the hash of the last entry and how many there are."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
