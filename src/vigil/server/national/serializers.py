from __future__ import annotations

from rest_framework import serializers

from vigil.server.national.models import Alert, Release


class ReleaseSerializer(serializers.ModelSerializer[Release]):
    released_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Release
        fields = (
            "id",
            "indicator_set",
            "set_version",
            "period",
            "k",
            "note",
            "released_by",
            "released_at",
            "figures",
        )
        read_only_fields = fields


class ReleaseRequestSerializer(serializers.Serializer[dict[str, str]]):
    year = serializers.RegexField(r"^(19|20)\d\d$", max_length=4)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AlertSerializer(serializers.ModelSerializer[Alert]):
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Alert
        fields = (
            "id",
            "series",
            "unit_type",
            "unit",
            "week",
            "observed",
            "expected",
            "upper",
            "method",
            "status",
            "reason",
            "decided_by",
            "decided_at",
            "acted",
            "acted_ref",
            "created_at",
        )
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer[dict[str, str]]):
    status = serializers.ChoiceField(choices=[Alert.Status.ACKNOWLEDGED, Alert.Status.DISMISSED])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        if attrs["status"] == Alert.Status.DISMISSED and not attrs.get("reason", "").strip():
            raise serializers.ValidationError({"reason": "Say why the alert is dismissed."})
        return attrs
