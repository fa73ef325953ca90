"""API representations of organisations, token requests and the current user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server.accounts.models import Organisation
from vigil.server.api.representation import FastReadMixin


class OrganisationSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ("id", "name", "kind", "country")


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
