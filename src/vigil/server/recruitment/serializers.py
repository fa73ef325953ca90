"""API input and output of the agency registry."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from vigil.server.recruitment.models import (
    Agency,
    Complaint,
    FeeReport,
    Licence,
    LicenceStatusChange,
    Sanction,
)


class LicenceStatusChangeSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = LicenceStatusChange
        fields = ("from_status", "to_status", "reason", "at", "by")


class LicenceSerializer(serializers.ModelSerializer):
    effective_status = serializers.SerializerMethodField()
    history = LicenceStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Licence
        fields = (
            "id",
            "agency",
            "number",
            "issuer",
            "valid_from",
            "valid_to",
            "status",
            "effective_status",
            "history",
        )
        read_only_fields = ("status",)

    def get_effective_status(self, obj: Licence) -> str:
        return obj.effective_status()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("valid_from"), attrs.get("valid_to")
        if start and end and end < start:
            raise serializers.ValidationError({"valid_to": ["The end of validity is before its start."]})
        return attrs


class LicenceStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Licence.Status.choices)
    reason = serializers.CharField(max_length=2000)


class SanctionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sanction
        fields = ("id", "kind", "imposed_on", "summary")


class AgencySerializer(serializers.ModelSerializer):
    licence_status = serializers.SerializerMethodField()
    licences = LicenceSerializer(many=True, read_only=True)
    sanctions = SanctionSerializer(many=True, read_only=True)
    sectors = serializers.ListField(
        child=serializers.RegexField(r"^[A-U](\d{2,4})?$", max_length=5), required=False
    )
    countries_served = serializers.ListField(child=serializers.RegexField(r"^[A-Z]{3}$"), required=False)
    country = serializers.RegexField(r"^[A-Z]{3}$")

    class Meta:
        model = Agency
        fields = (
            "id",
            "legal_name",
            "registration_number",
            "country",
            "sectors",
            "countries_served",
            "last_inspection",
            "licence_status",
            "licences",
            "sanctions",
        )

    def get_licence_status(self, obj: Agency) -> str:
        return obj.licence_status()


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint with the complainant's contact details (identity data: reading it is audited)."""

    class Meta:
        model = Complaint
        fields = (
            "id",
            "agency",
            "agency_name_given",
            "complainant_type",
            "description",
            "contact",
            "severity",
            "status",
            "receipt_code",
            "made_on",
        )
        read_only_fields = ("receipt_code",)


class ComplaintListSerializer(serializers.ModelSerializer):
    """The list shows no narrative and no contact details."""

    class Meta:
        model = Complaint
        fields = ("id", "agency", "complainant_type", "severity", "status", "receipt_code", "made_on")


class FeeReportSerializer(serializers.ModelSerializer):
    currency = serializers.RegexField(r"^[A-Z]{3}$")

    class Meta:
        model = FeeReport
        fields = (
            "id",
            "agency",
            "complaint",
            "amount",
            "currency",
            "purpose",
            "payee",
            "channel",
            "paid_on",
            "category",
            "outcome",
            "breach",
            "decided_by",
            "fired",
            "ruleset",
            "ruleset_version",
            "debt_lead",
        )
        read_only_fields: ClassVar[tuple[str, ...]] = (
            "category",
            "outcome",
            "breach",
            "decided_by",
            "fired",
            "ruleset",
            "ruleset_version",
            "debt_lead",
        )
        extra_kwargs: ClassVar[dict[str, Any]] = {"amount": {"min_value": 0, "max_value": 10**9}}


class WorklistComponentSerializer(serializers.Serializer):
    component = serializers.CharField()
    points = serializers.FloatField()
    reason = serializers.CharField()


class WorklistLineSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    agency = serializers.IntegerField()
    legal_name = serializers.CharField()
    country = serializers.CharField()
    licence_status = serializers.CharField()
    score = serializers.FloatField()
    reason = serializers.CharField()
    components = WorklistComponentSerializer(many=True)
    version = serializers.CharField()
