from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server import scoping
from vigil.server.accounts.models import Organisation
from vigil.server.api.representation import FastReadMixin
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.identity_guard import MESSAGE as IDENTITY_IN_TEXT
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening
from vigil.server.followups.models import FollowUp
from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, Referral, ServiceProvider

# HTCDS vic_TypeOfExploitation
EXPLOITATION_TYPES = [
    "ForcedLabour",
    "SexualExploitation",
    "ChildLabour",
    "ForcedMarriage",
    "Servitude",
    "ForcedMilitaryByNonStateActors",
    "OrganRemoval",
    "ForcedBegging",
    "ForcedAdoption",
    "Surrogacy",
    "Other",
]


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are what the requesting user may see."""

    def __init__(self, scope_fn: Any, **kwargs: Any) -> None:
        self.scope_fn = scope_fn
        super().__init__(**kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        request = self.context.get("request")
        return self.scope_fn(request.user if request else None)


class OrganisationSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ("id", "name", "kind", "country")


class PersonSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = (
            "id",
            "given_name",
            "family_name",
            "document_number",
            "phone",
            "address",
            "narrative",
            "gender",
            "birth_year",
            "citizenship",
            "primary_language",
            "organisation",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("organisation", "created_at", "updated_at")


class PersonSearchSerializer(serializers.Serializer):
    document_number = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, help_text=_("'given family', exact"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.values()):
            raise serializers.ValidationError(_("Give a document number, a phone number or a name."))
        return attrs


class CaseSerializer(FastReadMixin, serializers.ModelSerializer):
    person = ScopedPrimaryKeyField(scoping.editable_persons_for)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    exploitation_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EXPLOITATION_TYPES), required=False
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("Required when updating: the version you read. A stale version is refused (409)."),
    )

    class Meta:
        model = Case
        fields = (
            "id",
            "reference",
            "person",
            "organisation",
            "owner",
            "status",
            "trafficking_status",
            "exploitation_types",
            "sector",
            "opened_on",
            "closed_on",
            "closure_reason",
            "legal_hold",
            "legal_hold_reason",
            "anonymised_at",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("reference", "organisation", "owner", "created_at", "updated_at", "anonymised_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context.get("request")
        if ({"legal_hold", "legal_hold_reason"} & set(attrs)) and not (
            request and request.user.can("case.hold")
        ):
            raise serializers.ValidationError(
                {"legal_hold": _("Only a supervisor can place or lift a legal hold.")}
            )
        if attrs.get("legal_hold") and not attrs.get(
            "legal_hold_reason", getattr(self.instance, "legal_hold_reason", "")
        ):
            raise serializers.ValidationError({"legal_hold_reason": _("A legal hold needs a reason.")})
        if self.instance is not None:
            if "version" not in attrs:
                raise serializers.ValidationError({"version": _("Send the version you read.")})
            if "person" in attrs and attrs["person"].pk != self.instance.person_id:
                raise serializers.ValidationError({"person": _("The person of a case cannot change.")})
        closed = attrs.get("status", getattr(self.instance, "status", "")) in {
            Case.Status.CLOSED,
            Case.Status.CLOSED_REFERRED,
        }
        if closed and not attrs.get("closure_reason", getattr(self.instance, "closure_reason", "")):
            raise serializers.ValidationError({"closure_reason": _("A closed case needs a reason.")})
        person = attrs.get("person") or getattr(self.instance, "person", None)
        for name in ("closure_reason", "legal_hold_reason"):
            if identity_in(person, attrs.get(name)):
                raise serializers.ValidationError({name: IDENTITY_IN_TEXT})
        return attrs

    def create(self, validated: dict[str, Any]) -> Case:
        validated.pop("version", None)
        return super().create(validated)

    def update(self, instance: Case, validated: dict[str, Any]) -> Case:
        expected = validated.pop("version")
        validated.pop("person", None)
        instance.save_versioned(expected, validated)
        return instance


class MigrationStageSerializer(FastReadMixin, serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(scoping.editable_cases_for)

    class Meta:
        model = MigrationStage
        fields = (
            "id",
            "case",
            "stage",
            "start_date",
            "end_date",
            "place",
            "country",
            "sector",
            "employer_or_recruiter",
            "notes",
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": _("The end is before the start.")})
        if self.instance is not None and "case" in attrs and attrs["case"].pk != self.instance.case_id:
            raise serializers.ValidationError({"case": _("A stage cannot move to another case.")})
        return attrs


class ConsentSerializer(FastReadMixin, serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(scoping.editable_cases_for)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    withdrawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    in_force = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = (
            "id",
            "case",
            "purpose",
            "given",
            "given_on",
            "method",
            "recorded_by",
            "recorded_at",
            "withdrawn_on",
            "withdrawn_by",
            "in_force",
        )
        read_only_fields = ("recorded_at", "withdrawn_on")


class WithdrawSerializer(serializers.Serializer):
    withdrawn_on = serializers.DateField(required=False)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False, help_text=_("Current two-factor code, for enrolled accounts.")
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    scope = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id", allow_null=True)
    capabilities = serializers.ListField(child=serializers.CharField())


class ScreeningSerializer(FastReadMixin, serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(scoping.editable_cases_for)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    answers = serializers.DictField(
        child=serializers.BooleanField(allow_null=True),
        required=False,
        help_text=_(
            "{indicator id: true | false | null}; on update merged into the stored answers "
            "(null makes an indicator unknown again)."
        ),
    )

    class Meta:
        model = Screening
        fields = (
            "id",
            "case",
            "ruleset",
            "ruleset_version",
            "age",
            "answers",
            "outcome",
            "determination",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("ruleset_version", "outcome", "determination", "created_at", "updated_at")

    def validate_ruleset(self, value: str) -> str:
        from vigil.server.cases.screening import screenable

        if self.instance is not None and value != self.instance.ruleset:
            raise serializers.ValidationError(_("The rule set of a screening cannot change."))
        if value not in {rid for rid, _v, _t in screenable()}:
            raise serializers.ValidationError(_("Not a rule set with interview questions."))
        return value


class ServiceProviderSerializer(FastReadMixin, serializers.ModelSerializer):
    places_in_use = serializers.IntegerField(
        read_only=True, help_text=_("Referrals accepted and not yet completed.")
    )
    places_available = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Capacity minus places in use; null without a capacity.")
    )

    class Meta:
        model = ServiceProvider
        fields = (
            "id",
            "name",
            "organisation",
            "service_type",
            "area",
            "languages",
            "capacity",
            "places_in_use",
            "places_available",
        )


class ReferralSerializer(FastReadMixin, serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(scoping.editable_cases_for)
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    provider = ScopedPrimaryKeyField(scoping.providers_for)
    shared_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(SHAREABLE)), required=False
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=_("Only without consent to referral, for roles that may override: why."),
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    shared = serializers.SerializerMethodField(
        help_text=_("The values of the shared fields; empty once consent to referral is withdrawn.")
    )

    class Meta:
        model = Referral
        fields = (
            "id",
            "case",
            "case_reference",
            "provider",
            "status",
            "reason",
            "shared_fields",
            "shared",
            "consent_overridden",
            "override_reason",
            "agreement",
            "created_by",
            "created_at",
            "decided_at",
            "decline_reason",
            "completed_at",
        )
        read_only_fields = (
            "status",
            "consent_overridden",
            "agreement",
            "created_at",
            "decided_at",
            "decline_reason",
            "completed_at",
        )

    def get_shared(self, obj: Referral) -> dict[str, Any]:
        return obj.shared_data()


class DataSharingAgreementSerializer(FastReadMixin, serializers.ModelSerializer):
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = DataSharingAgreement
        fields = (
            "id",
            "discloser",
            "recipient",
            "purpose",
            "fields",
            "legal_basis",
            "document_reference",
            "signed_on",
            "expires_on",
            "terminated_on",
            "in_force",
        )

    def get_in_force(self, obj: DataSharingAgreement) -> bool:
        from django.utils import timezone

        return obj.in_force(timezone.localdate())


class ReferralDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class FollowUpSerializer(FastReadMixin, serializers.ModelSerializer):
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
        )
        read_only_fields = ("created_at", "done_on", "outcome", "removal_verified", "retrafficking_risk")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
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
