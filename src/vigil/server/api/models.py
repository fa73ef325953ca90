"""The idempotency keys of API writes (``vigil.server.api.idempotency``, decision 56).

A row is written in the same transaction as the write it answers for: a write rolled back leaves
no key, a write committed always leaves its key. The key itself is stored as a hash (a client may
choose any text); the answer is kept as the id of the record it showed (re-rendered on replay with
today's permissions, and the read audited) or, for an answer that is not one record of its view,
as its body encrypted with the field keys.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigil.server.fields import EncryptedTextField


class IdempotencyKey(models.Model):
    class Method(models.TextChoices):
        POST = "POST", "POST"
        PUT = "PUT", "PUT"
        PATCH = "PATCH", "PATCH"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    path = models.CharField(_("path"), max_length=500)
    body_hash = models.CharField(_("body (SHA-256)"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status of the answer"))
    object_id = models.BigIntegerField(_("record answered"), null=True, blank=True)
    body = EncryptedTextField(_("answer (encrypted)"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = (
            models.UniqueConstraint(fields=["user", "key_hash"], name="api_idempotency_key_per_user"),
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status})"
