"""API representations of the supply app."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from vigil.server.supply.models import (
    CorrectivePlan,
    Entity,
    Finding,
    Link,
    MatchCandidate,
    Merge,
    Milestone,
    SupplyAudit,
)


class EntitySerializer(serializers.ModelSerializer):
    # declared, so that the schema is the same on every database (the backend's integer range)
    workers = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False, allow_null=True)
    fee_breaches = serializers.IntegerField(
        min_value=0, max_value=2_147_483_647, required=False, allow_null=True
    )

    class Meta:
        model = Entity
        fields = (
            "id",
            "ref",
            "kind",
            "name",
            "country",
            "sector",
            "good",
            "address",
            "latitude",
            "longitude",
            "workers",
            "licence",
            "fee_breaches",
            "prior",
            "agency",
            "merged_into",
        )
        read_only_fields = ("agency", "merged_into")


class LinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Link
        fields = ("id", "supplier", "buyer", "share", "spend")


class MatchCandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatchCandidate
        fields = ("id", "a", "b", "score", "suggested", "status", "decided_by", "decided_at")
        read_only_fields = fields


@extend_schema_serializer(component_name="SupplyMergeInput")
class MergeInput(serializers.Serializer):
    keep = serializers.IntegerField(required=False, help_text="id of the entity to keep (default: a)")


class MergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Merge
        fields = ("id", "kept", "merged", "candidate", "by", "at", "undone_by", "undone_at")
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = (
            "id",
            "kind",
            "answers",
            "ruleset",
            "version",
            "outcome",
            "label",
            "fired",
            "decided_by",
            "severity",
            "note",
            "created_at",
        )
        read_only_fields = fields


class AuditSerializer(serializers.ModelSerializer):
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = SupplyAudit
        fields = ("id", "entity", "date", "standard", "auditor", "findings", "created_at")
        read_only_fields = ("findings", "created_at")


class AuditListSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplyAudit
        fields = ("id", "entity", "date", "standard", "auditor", "created_at")


class FindingInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Finding.Kind.choices)
    items = serializers.ListField(
        child=serializers.CharField(max_length=16),
        required=False,
        default=list,
        help_text="interview or observation: the ILO-11 items present (ILO11.01..)",
    )
    amount = serializers.FloatField(required=False, min_value=0)
    currency = serializers.CharField(required=False, max_length=3)
    purpose = serializers.CharField(required=False, max_length=200)
    payee = serializers.CharField(required=False, max_length=32, default="recruiter")
    channel = serializers.CharField(required=False, max_length=32, default="upfront")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == Finding.Kind.FEE:
            for f in ("amount", "currency", "purpose"):
                if attrs.get(f) in (None, ""):
                    raise serializers.ValidationError({f: ["required for fee evidence"]})
        return attrs


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ("id", "plan", "title", "owner", "due", "done_on")


class PlanSerializer(serializers.ModelSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = CorrectivePlan
        fields = (
            "id",
            "entity",
            "action",
            "title",
            "status",
            "why_engaging_failed",
            "plan_for_workers",
            "milestones",
            "opened_by",
            "opened_at",
        )
        read_only_fields = ("milestones", "opened_by", "opened_at")


class RiskLineSerializer(serializers.Serializer):
    entity = serializers.IntegerField()
    ref = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    prior = serializers.FloatField()
    risk = serializers.FloatField()
    exposure = serializers.FloatField()
    path = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())


class RemediationLineSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    entity = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    score = serializers.FloatField()
    risk = serializers.FloatField()
    leverage = serializers.FloatField()
    severity = serializers.FloatField()
    recency = serializers.FloatField()
    action = serializers.CharField()
    reason = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    links = serializers.IntegerField()
    candidates = serializers.IntegerField()
