"""API representations of the service directory, data-sharing agreements and referrals."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server import scoping
from vigil.server.api.fields import ScopedPrimaryKeyField
from vigil.server.api.representation import FastReadMixin
from vigil.server.api.versioning import version_field
from vigil.server.referrals.models import SHAREABLE, DataSharingAgreement, Referral, ServiceProvider


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
    version = serializers.IntegerField(read_only=True)
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
            "version",
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
    version = serializers.IntegerField(read_only=True)

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
            "version",
        )

    def get_in_force(self, obj: DataSharingAgreement) -> bool:
        from django.utils import timezone

        return obj.in_force(timezone.localdate())


class ReferralDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    version = version_field(required=False)
