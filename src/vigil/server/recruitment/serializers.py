"""API input and output of the agency registry."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from vigil.server.recruitment.models import (
    COST_KEYS,
    Agency,
    CaseLink,
    Complaint,
    FeeReport,
    Inspection,
    JobOffer,
    Licence,
    LicenceStatusChange,
    NamePair,
    NamePairEvent,
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
        read_only_fields = ("last_inspection",)  # from the inspections (recruitment/inspections/)

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


# the fields of an offer whose change sends an approved offer back for approval
OFFER_CONTENT = (
    "agency",
    "title",
    "employer",
    "workplace",
    "country",
    "sector",
    "pay_amount",
    "pay_currency",
    "pay_period",
    "hours_per_week",
    "contract",
    "contract_months",
    "contract_before_departure",
    "costs",
    "description",
)


class JobOfferSerializer(serializers.ModelSerializer):
    """A job offer of a licensed agency. The offer check (``signs``, ``evidence``) and the costs
    the worker would pay (``worker_costs``, classified with ``fair-recruitment-2019``) are
    computed, never sent. A change to an approved offer sends it back for approval."""

    country = serializers.RegexField(r"^[A-Z]{3}$")
    pay_currency = serializers.RegexField(r"^[A-Z]{3}$")
    sector = serializers.RegexField(r"^[A-U](\d{2,4})?$", max_length=5, required=False, allow_blank=True)
    costs = serializers.DictField(
        child=serializers.ChoiceField(choices=JobOffer.Payer.choices), required=False
    )
    licence_status = serializers.SerializerMethodField()

    class Meta:
        model = JobOffer
        fields = (
            "id",
            *OFFER_CONTENT,
            "open_until",
            "status",
            "review_note",
            "reviewed_at",
            "licence_status",
            "signs",
            "evidence",
            "signs_version",
            "worker_costs",
            "fees_ruleset_version",
        )
        read_only_fields: ClassVar[tuple[str, ...]] = (
            "status",
            "review_note",
            "reviewed_at",
            "signs",
            "evidence",
            "signs_version",
            "worker_costs",
            "fees_ruleset_version",
        )
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "pay_amount": {"min_value": 0, "max_value": 10**9},
            "hours_per_week": {"min_value": 1, "max_value": 84},
            "contract_months": {"min_value": 1, "max_value": 120},
        }

    def get_licence_status(self, obj: JobOffer) -> str:
        return obj.agency.licence_status()

    def validate_costs(self, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(COST_KEYS))
        if unknown:
            raise serializers.ValidationError(f"unknown cost {unknown[0]!r}; costs: {', '.join(COST_KEYS)}")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from vigil.server.recruitment.services import may_publish

        agency = attrs.get("agency") or getattr(self.instance, "agency", None)
        if agency is not None and "agency" in attrs and not may_publish(agency):
            raise serializers.ValidationError(
                {"agency": ["The agency has no licence in force: it may not publish offers."]}
            )
        return attrs

    def update(self, instance: JobOffer, validated_data: dict[str, Any]) -> JobOffer:
        changed = any(k in OFFER_CONTENT and getattr(instance, k) != v for k, v in validated_data.items())
        if changed and instance.status == JobOffer.Status.APPROVED:
            instance.status = JobOffer.Status.SUBMITTED
        return super().update(instance, validated_data)


class OfferReviewInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InspectionSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Inspection
        fields = ("id", "agency", "inspected_on", "inspector", "findings", "outcome", "recorded_by")

    def validate_inspected_on(self, value: Any) -> Any:
        from django.utils import timezone

        if value > timezone.localdate():
            raise serializers.ValidationError("An inspection cannot be in the future.")
        return value


class CaseLinkSerializer(serializers.ModelSerializer):
    """A case linked to the agency that recruited the person (the case's reference only)."""

    case_reference = serializers.CharField(source="case.reference", read_only=True)
    agency_name = serializers.CharField(source="agency.legal_name", read_only=True)
    linked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseLink
        fields = ("id", "agency", "agency_name", "case", "case_reference", "linked_by", "linked_at")
        read_only_fields = ("linked_at",)
        validators: ClassVar[list[Any]] = []  # a repeated link answers with the existing one

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from vigil.server import scoping

        request = self.context.get("request")
        if request is not None and "case" in self.fields:
            # a case out of scope is as unknown as a case that does not exist
            self.fields["case"].queryset = scoping.cases_for(request.user)


class PairAgencySerializer(serializers.ModelSerializer):
    licence_status = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = ("id", "legal_name", "registration_number", "country", "licence_status")

    def get_licence_status(self, obj: Agency) -> str:
        return obj.licence_status()


class NamePairEventSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = NamePairEvent
        fields = ("action", "moved", "by", "at")


class NamePairSerializer(serializers.ModelSerializer):
    agency_a = PairAgencySerializer(read_only=True)
    agency_b = PairAgencySerializer(read_only=True)
    events = NamePairEventSerializer(many=True, read_only=True)

    class Meta:
        model = NamePair
        fields = ("id", "agency_a", "agency_b", "score", "decision", "status", "kept", "found_at", "events")
        read_only_fields = fields


class MergeInput(serializers.Serializer):
    keep = serializers.IntegerField(help_text="the id of the agency that stays (one of the pair)")


class FindPairsResult(serializers.Serializer):
    new_pairs = serializers.IntegerField()
