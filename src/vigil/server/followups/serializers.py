"""API representations of follow-ups."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server import scoping
from vigil.server.api.fields import ScopedPrimaryKeyField
from vigil.server.api.representation import FastReadMixin
from vigil.server.api.versioning import VersionedSerializerMixin, version_field
from vigil.server.followups.models import FollowUp


class FollowUpSerializer(FastReadMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(scoping.editable_cases_for)
    referral = ScopedPrimaryKeyField(scoping.referrals_for, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = FollowUp
        fields = (
            "id",
            "case",
            "referral",
            "kind",
            "due_on",
            "overdue",
            "created_by",
            "created_at",
            "done_on",
            "done_by",
            "outcome",
            "removal_verified",
            "retrafficking_risk",
            "notes",
            "version",
        )
        read_only_fields = ("created_at", "done_on", "outcome", "removal_verified", "retrafficking_risk")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # the version check of VersionedSerializerMixin
        ref = attrs.get("referral")
        case = attrs.get("case", getattr(self.instance, "case", None))
        if ref is not None and case is not None and ref.case_id != case.pk:
            raise serializers.ValidationError({"referral": _("This referral belongs to another case.")})
        return attrs


class FollowUpCompleteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FollowUp.Outcome.choices)
    done_on = serializers.DateField(required=False)
    removal_verified = serializers.BooleanField(required=False, allow_null=True, default=None)
    retrafficking_risk = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    version = version_field(required=False)
