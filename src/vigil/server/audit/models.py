"""The audit log: append-only, and sealed into a hash chain after the fact.

Entries hold who, when, what (action, object type and id, the *names* of fields changed) and why
(a reason) — never an identity value. Requests only INSERT entries (no lock, no shared row).
Sealing (``vigil.server.audit.log.seal_pending``, run by ``verify_audit`` or a scheduled
``seal_audit``) appends one ``AuditSeal`` per entry: the seals form the hash chain, in sealing
order, each hash covering the previous hash and the entry's content. Both tables are insert-only
(on PostgreSQL enforced by a trigger).
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

    class Meta:
        ordering = ("id",)
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = (
            models.Index(fields=["object_type", "object_id"]),
            # "What did user Y read or change between these dates" (access review, breaches).
            models.Index(fields=["actor_id", "at"]),
        )

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditSeal(models.Model):
    """One link of the hash chain: the ``seq``-th entry sealed, its predecessor's hash and its own.

    Sealing order, not entry id order: an entry whose transaction committed late (PostgreSQL hands
    out ids before commit) is simply sealed in a later batch, so the chain never has to wait for or
    skip over an id. No database-level foreign key (the log never depends on other rows), and a
    removed entry leaves its seal behind, which is how verification notices the removal.
    """

    seq = models.BigIntegerField(primary_key=True)
    entry = models.OneToOneField(
        AuditEntry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="seal"
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ("seq",)

    def __str__(self) -> str:
        return f"seal {self.seq} of entry {self.entry_id}"
