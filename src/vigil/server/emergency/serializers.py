from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server.api.versioning import version_field
from vigil.server.emergency.models import EmergencyAccess


class EmergencyGrantSerializer(serializers.Serializer):
    case_reference = serializers.CharField(
        max_length=32, help_text=_("The exact reference of the case, e.g. VG-2026-7KQ3M9XD.")
    )
    reason = serializers.CharField(
        max_length=500,
        help_text=_("Why you must see this case now; at least 15 characters. Never a name."),
    )


class EmergencyEndSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    version = version_field(required=False)


class EmergencyAcknowledgeSerializer(serializers.Serializer):
    version = version_field(required=False)


class EmergencyRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=_("Why the access is revoked."))
    version = version_field(required=False)


class EmergencyAccessSerializer(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    ended_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.ChoiceField(choices=["active", "expired", "ended", "revoked"], read_only=True)

    class Meta:
        model = EmergencyAccess
        fields = (
            "id",
            "case",
            "case_reference",
            "user",
            "reason",
            "granted_at",
            "expires_at",
            "status",
            "ended_at",
            "ended_by",
            "ending",
            "end_reason",
            "acknowledged_at",
            "acknowledged_by",
            "version",
        )
        read_only_fields = fields
