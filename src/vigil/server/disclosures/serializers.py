"""API input and output of this app."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from vigil.server.api.versioning import version_field
from vigil.server.disclosures.models import ExportFile, SubjectRequest
from vigil.server.statistics import microdata as exports


class StatisticsExportInput(serializers.Serializer):
    purpose = serializers.CharField(
        max_length=500, help_text=gettext_lazy("Why the data leave the system, and for whom.")
    )
    k = serializers.IntegerField(required=False, help_text=gettext_lazy("Smallest group published (>= 11)."))

    def validate_k(self, value: int) -> int:
        if value < exports.min_k():
            raise serializers.ValidationError(_("k must be at least %(k)s.") % {"k": exports.min_k()})
        return value


class IssuedExportOutput(serializers.Serializer):
    """Shown once: the password is not stored and cannot be shown again."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ExportFile.Kind.choices)
    download_url = serializers.CharField()
    password = serializers.CharField()
    expires_at = serializers.DateTimeField()
    max_downloads = serializers.IntegerField()
    records = serializers.IntegerField()
    fields = serializers.ListField(child=serializers.CharField())


def issued_output(issued: Any) -> dict[str, Any]:
    export = issued.export
    return IssuedExportOutput(
        {
            "id": export.pk,
            "kind": export.kind,
            "download_url": issued.download_url,
            "password": issued.password,
            "expires_at": export.expires_at,
            "max_downloads": export.max_downloads,
            "records": export.records,
            "fields": export.fields,
        }
    ).data


class SubjectRequestSerializer(serializers.ModelSerializer):
    overdue = serializers.BooleanField(read_only=True)
    handled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    exports = serializers.SerializerMethodField()

    class Meta:
        model = SubjectRequest
        fields = (
            "id",
            "person",
            "kind",
            "received_on",
            "channel",
            "verification",
            "due_on",
            "status",
            "overdue",
            "refusal_reason",
            "outcome_note",
            "result",
            "handled_by",
            "completed_on",
            "created_at",
            "exports",
            "version",
        )
        read_only_fields = fields

    def get_exports(self, obj: SubjectRequest) -> list[int]:
        return [e.pk for e in obj.exports.all()]


class SubjectRequestCreate(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(queryset=SubjectRequest.objects.none())

    class Meta:
        model = SubjectRequest
        fields = ("person", "kind", "received_on", "channel", "verification")
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"received_on": {"required": False}}

    def __init__(self, *args: Any, persons: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if persons is not None:
            self.fields["person"].queryset = persons


class SubjectRequestUpdate(serializers.Serializer):
    verification = serializers.ChoiceField(choices=SubjectRequest.Verification.choices, required=False)
    outcome_note = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in SubjectRequest.OPEN_STATUSES], required=False
    )
    version = version_field()


class VersionInput(serializers.Serializer):
    """The body of a step (access, erasure): optional; a version sent must be current (else 409)."""

    version = version_field(required=False)


class NoteInput(serializers.Serializer):
    outcome_note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    version = version_field(required=False)


class RefuseInput(serializers.Serializer):
    refusal_reason = serializers.CharField(max_length=300)
    outcome_note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    version = version_field(required=False)


class ErasureOutput(serializers.Serializer):
    request = SubjectRequestSerializer()
    anonymised = serializers.ListField(child=serializers.IntegerField())
    already_anonymised = serializers.ListField(child=serializers.IntegerField())
    held = serializers.ListField(child=serializers.IntegerField())
    other_organisation = serializers.ListField(child=serializers.IntegerField())
    person_anonymised = serializers.BooleanField()
