"""API input and output of the inspections app. Worker-level data (an interview's name,
contact, notes, answers and facts) is in ``InterviewSerializer`` only, never in a list."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from vigil.inspections.findings import MIGRATION_FACTS
from vigil.server.inspections.models import (
    JOINT_BODIES,
    VIOLATION_CHOICES,
    EnforcementAction,
    Finding,
    InspectionPlan,
    Interview,
    Observation,
    Visit,
    Workplace,
)


class WorkplaceSerializer(serializers.ModelSerializer):
    sector = serializers.RegexField(r"^([A-U]|\d{2,4})$", max_length=4)
    buyers = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=200
    )

    class Meta:
        model = Workplace
        fields = (
            "id",
            "name",
            "registration_number",
            "sector",
            "address",
            "region",
            "size",
            "recruiters",
            "unregistered_recruiters",
            "buyers",
            "supply_exposure",
            "open_complaints",
            "last_visit",
        )
        read_only_fields = ("last_visit",)


class InspectionPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionPlan
        fields = ("id", "title", "region", "period_start", "period_end", "status", "weights_version")
        read_only_fields = ("status", "weights_version")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError({"period_end": ["The plan ends before it starts."]})
        return attrs


class VisitSerializer(serializers.ModelSerializer):
    joint_bodies = serializers.ListField(
        child=serializers.ChoiceField(choices=JOINT_BODIES), required=False, max_length=4
    )

    class Meta:
        model = Visit
        fields = (
            "id",
            "plan",
            "workplace",
            "kind",
            "follows",
            "scheduled_on",
            "carried_out_on",
            "status",
            "lead",
            "inspectors",
            "joint_bodies",
            "announced",
            "planned_score",
            "planned_reason",
            "weights_version",
            "outcome",
            "classification",
            "version",
        )
        read_only_fields: ClassVar[tuple[str, ...]] = (
            "kind",
            "follows",
            "carried_out_on",
            "status",
            "lead",
            "planned_score",
            "planned_reason",
            "weights_version",
            "outcome",
            "classification",
            "version",
        )


class VisitCompleteInput(serializers.Serializer):
    carried_out_on = serializers.DateField(required=False)


class VisitFollowUpInput(serializers.Serializer):
    scheduled_on = serializers.DateField()


class ObservationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Observation
        fields = ("id", "visit", "kind", "present", "note")


class InterviewListSerializer(serializers.ModelSerializer):
    """No identity data, no answers: the result of the screening only."""

    class Meta:
        model = Interview
        fields = ("id", "visit", "category", "presumed_victim", "ruleset", "ruleset_version", "case")


class InterviewSerializer(serializers.ModelSerializer):
    answers = serializers.DictField(child=serializers.BooleanField(allow_null=True), required=False)
    facts = serializers.DictField(required=False)

    class Meta:
        model = Interview
        fields = (
            "id",
            "visit",
            "held_in_private",
            "language",
            "interpreter",
            "age",
            "worker_name",
            "worker_contact",
            "notes",
            "answers",
            "facts",
            "category",
            "presumed_victim",
            "ruleset",
            "ruleset_version",
            "fired",
            "decided_by",
            "determination",
            "case",
        )
        read_only_fields: ClassVar[tuple[str, ...]] = (
            "category",
            "presumed_victim",
            "ruleset",
            "ruleset_version",
            "fired",
            "decided_by",
            "determination",
            "case",
        )

    def validate_facts(self, value: dict[str, Any]) -> dict[str, Any]:
        banned = sorted(MIGRATION_FACTS & set(value))
        if banned:
            raise serializers.ValidationError(f"{banned[0]}: an inspection does not record migration status.")
        return value


class InterviewReferInput(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    consent_given = serializers.BooleanField()
    consent_method = serializers.ChoiceField(choices=("verbal", "written", "guardian"), default="verbal")
    shared_fields = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class InspectionFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ("id", "workplace", "visit", "kind", "category", "indicator", "description", "found_on")
        read_only_fields = ("workplace", "kind", "indicator", "found_on")


class ViolationInput(serializers.Serializer):
    visit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    category = serializers.ChoiceField(choices=VIOLATION_CHOICES)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class EnforcementActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnforcementAction
        fields = (
            "id",
            "visit",
            "finding",
            "kind",
            "description",
            "amount",
            "currency",
            "deadline",
            "status",
            "verified_by",
        )
        read_only_fields = ("status", "verified_by")
        extra_kwargs: ClassVar[dict[str, Any]] = {"amount": {"min_value": 0, "max_value": 10**9}}


class ActionVerifyInput(serializers.Serializer):
    visit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=("complied", "not_complied", "withdrawn"))


class InspectionComponentSerializer(serializers.Serializer):
    component = serializers.CharField()
    points = serializers.FloatField()
    reason = serializers.CharField()


class InspectionWorklistLineSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    workplace = serializers.IntegerField()
    name = serializers.CharField()
    sector = serializers.CharField()
    region = serializers.CharField()
    score = serializers.FloatField()
    reason = serializers.CharField()
    components = InspectionComponentSerializer(many=True)
    version = serializers.CharField()


class InspectionStatisticsSerializer(serializers.Serializer):
    visits = serializers.ListField(child=serializers.DictField())
    visits_by_sector = serializers.ListField(child=serializers.DictField())
    findings = serializers.ListField(child=serializers.DictField())
    actions = serializers.ListField(child=serializers.DictField())
