"""API representation of audit entries."""

from __future__ import annotations

from rest_framework import serializers

from vigil.server.api.representation import FastReadMixin
from vigil.server.audit.models import AuditEntry


class AuditEntrySerializer(FastReadMixin, serializers.ModelSerializer):
    # The entry's link in the hash chain; null until the entry is sealed (see audit.log).
    prev_hash = serializers.CharField(source="seal.prev_hash", read_only=True, allow_null=True, default=None)
    hash = serializers.CharField(source="seal.hash", read_only=True, allow_null=True, default=None)

    class Meta:
        model = AuditEntry
        fields = (
            "id",
            "at",
            "actor_id",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "reason",
            "via",
            "ip",
            "detail",
            "prev_hash",
            "hash",
        )
