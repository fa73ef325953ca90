"""Serializers of the field-submissions API."""

from __future__ import annotations

from rest_framework import serializers

from vigil.server.fieldwork.models import FieldScreening, FieldUpload


class UploadRequestSerializer(serializers.Serializer):
    form = serializers.FileField(help_text="the XLSForm the submissions were collected with")
    submissions = serializers.FileField(help_text="Kobo or ODK Central export: .csv, .xlsx, .json or .zip")
    case = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**53,
        help_text="attach every screening to this case (else one new case each)",
    )


class FieldScreeningSerializer(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)

    class Meta:
        model = FieldScreening
        fields = (
            "id",
            "case",
            "case_reference",
            "submission_id",
            "ruleset",
            "ruleset_version",
            "outcome",
            "determination",
            "created_at",
        )
        read_only_fields = fields


class FieldUploadSerializer(serializers.ModelSerializer):
    class Meta:
        model = FieldUpload
        fields = (
            "id",
            "uploaded_at",
            "kind",
            "sha256",
            "ruleset",
            "ruleset_version",
            "form_id",
            "submissions",
            "stored",
            "already_stored",
            "duplicates",
            "without_consent",
            "new_cases",
            "replaced",
        )
        read_only_fields = fields


class UploadResultSerializer(FieldUploadSerializer):
    screenings = FieldScreeningSerializer(many=True, read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(FieldUploadSerializer.Meta):
        fields = (*FieldUploadSerializer.Meta.fields, "screenings", "warnings")
        read_only_fields = fields
