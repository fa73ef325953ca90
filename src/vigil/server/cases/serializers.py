"""API representations of persons, cases, migration stages, consents and screenings."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server import scoping
from vigil.server.api.fields import ScopedPrimaryKeyField
from vigil.server.api.representation import FastReadMixin
from vigil.server.api.versioning import VersionedSerializerMixin, version_field
from vigil.server.cases.identity_guard import MESSAGE as IDENTITY_IN_TEXT
from vigil.server.cases.identity_guard import identity_in
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening, region_error

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


class PersonSerializer(FastReadMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = (
            "id",
            *Person.PROFILE_FIELDS,
            "organisation",
            "version",
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


class MigrationStageSerializer(FastReadMixin, VersionedSerializerMixin, serializers.ModelSerializer):
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
            "region",
            "sector",
            "employer_or_recruiter",
            "notes",
            "version",
        )
        extra_kwargs = {  # noqa: RUF012
            "region": {"help_text": "First-level subdivision of the country, ISO 3166-2 (e.g. TH-10)."}
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # the version check of VersionedSerializerMixin
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": _("The end is before the start.")})
        if self.instance is not None and "case" in attrs and attrs["case"].pk != self.instance.case_id:
            raise serializers.ValidationError({"case": _("A stage cannot move to another case.")})
        for name in ("country", "region"):
            if name in attrs:
                attrs[name] = str(attrs[name] or "").strip().upper()
        if "region" in attrs or "country" in attrs:
            region = attrs.get("region", getattr(self.instance, "region", ""))
            country = attrs.get("country", getattr(self.instance, "country", ""))
            message = region_error(region or "", country or "")
            if message:
                raise serializers.ValidationError({"region": message})
        case = attrs.get("case") or getattr(self.instance, "case", None)
        if case is not None and identity_in(case.person, attrs.get("place")):
            raise serializers.ValidationError({"place": IDENTITY_IN_TEXT})
        return attrs


class ConsentSerializer(FastReadMixin, serializers.ModelSerializer):
    case = ScopedPrimaryKeyField(scoping.editable_cases_for)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    withdrawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    in_force = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True)

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
            "version",
        )
        read_only_fields = ("recorded_at", "withdrawn_on")


class WithdrawSerializer(serializers.Serializer):
    withdrawn_on = serializers.DateField(required=False)
    version = version_field(required=False)


class ScreeningSerializer(FastReadMixin, VersionedSerializerMixin, serializers.ModelSerializer):
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
    facts = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text=_(
            "{fact: value}: the facts the rule set's questionnaire asks beside the indicators "
            "(act, worst_form, fee_repayment...): true | false for a yes-no fact, a list of its "
            "codes for a list fact ([] for none of these), a number; on update merged into the "
            "stored facts (null makes a fact unknown again)."
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
            "facts",
            "outcome",
            "determination",
            "created_by",
            "version",
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
