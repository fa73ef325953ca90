"""Serializers of the breach register, the access review and containment."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigil.server.accounts.models import Organisation
from vigil.server.api.versioning import SEND_VERSION, version_field
from vigil.server.breaches import services
from vigil.server.breaches.models import BreachIncident, BreachNotification, BreachStatusChange


class BreachReportSerializer(serializers.ModelSerializer):
    """The short form anyone may send: what happened, when it was discovered."""

    class Meta:
        model = BreachIncident
        fields = ("title", "description", "category", "discovered_at", "occurred_from", "occurred_to")
        extra_kwargs = {"category": {"required": False}}  # noqa: RUF012


class BreachUpdateSerializer(serializers.ModelSerializer):
    """Fields a manager may change, with the version read; the status has its own endpoint. Only
    the fields sent are written, and only if the incident is still at that version (else 409)."""

    organisations = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False
    )
    version = version_field()

    class Meta:
        model = BreachIncident
        fields = (*services.UPDATABLE, "organisations", "version")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "version" not in attrs:  # a partial update makes every field optional, not this one
            raise serializers.ValidationError({"version": SEND_VERSION})
        return attrs


class StatusChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", read_only=True, default=None)

    class Meta:
        model = BreachStatusChange
        fields = ("from_status", "to_status", "changed_by", "changed_at", "note")


class StatusRequestSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BreachIncident.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    closure_summary = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    version = version_field(required=False)


class NotificationSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)
    notified_at = serializers.DateTimeField(required=False)

    class Meta:
        model = BreachNotification
        fields = (
            "id",
            "recipient",
            "organisation",
            "notified_at",
            "method",
            "note",
            "recorded_by",
            "recorded_at",
        )
        read_only_fields = ("id", "recorded_by", "recorded_at")


class CasesRequestSerializer(serializers.Serializer):
    add = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=500)
    remove = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=500)


class AffectedCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")


class BreachIncidentSerializer(serializers.ModelSerializer):
    """The incident as its reader may see it: managers and supervisors get the full record (the
    supervisor only their organisation's affected cases), a reporter the short form."""

    reported_by = serializers.CharField(source="reported_by.username", read_only=True, default=None)
    severity_meaning = serializers.CharField(read_only=True)
    allowed_next = serializers.SerializerMethodField()
    full = serializers.SerializerMethodField(help_text=str(_("False: the reporter's short view.")))

    FULL = (
        "estimated_records",
        "affected_cases",
        "affected_case_count",
        "affected_organisations",
        "containment_actions",
        "closure_summary",
        "notifications",
        "status_history",
    )
    OMITTED_FOR_SOME = FULL  # the schema does not require them (vigil.server.api.schema)
    affected_cases = serializers.SerializerMethodField()
    affected_case_count = serializers.SerializerMethodField()
    affected_organisations = serializers.SerializerMethodField()
    notifications = NotificationSerializer(many=True, read_only=True)
    status_history = StatusChangeSerializer(source="status_changes", many=True, read_only=True)

    class Meta:
        model = BreachIncident
        fields = (
            "id",
            "reference",
            "title",
            "description",
            "category",
            "severity",
            "severity_meaning",
            "status",
            "allowed_next",
            "discovered_at",
            "occurred_from",
            "occurred_to",
            "reported_by",
            "reported_at",
            "status_changed_at",
            "closed_at",
            "full",
            "estimated_records",
            "affected_cases",
            "affected_case_count",
            "affected_organisations",
            "containment_actions",
            "closure_summary",
            "notifications",
            "status_history",
            "version",
        )
        read_only_fields = fields

    def _user(self) -> Any:
        return self.context["request"].user

    def _full(self, obj: BreachIncident) -> bool:
        cache = self.context.setdefault("_full", {})
        if obj.pk not in cache:
            cache[obj.pk] = services.sees_full_record(self._user(), obj)
        return cache[obj.pk]

    def get_full(self, obj: BreachIncident) -> bool:
        return self._full(obj)

    def get_allowed_next(self, obj: BreachIncident) -> list[str]:
        return list(obj.allowed_next()) if services.is_manager(self._user()) else []

    def get_affected_cases(self, obj: BreachIncident) -> list[dict[str, Any]]:
        cases = services.visible_cases(self._user(), obj).order_by("reference")
        return AffectedCaseSerializer(cases, many=True).data  # type: ignore[return-value]

    def get_affected_case_count(self, obj: BreachIncident) -> int:
        return obj.cases.count()

    def get_affected_organisations(self, obj: BreachIncident) -> list[dict[str, Any]]:
        from_cases = set(obj.cases.values_list("organisation_id", flat=True))
        manual = set(obj.organisations.values_list("id", flat=True))
        orgs = Organisation.objects.filter(pk__in=from_cases | manual).order_by("name")
        return [
            {"id": o.pk, "name": o.name, "from_cases": o.pk in from_cases, "named": o.pk in manual}
            for o in orgs
        ]

    def to_representation(self, instance: BreachIncident) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self._full(instance):
            for name in self.FULL:
                data.pop(name, None)
        return data


class SuspendRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False)
    incident = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)


class ReactivateRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False)


class SuspensionSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    is_active = serializers.BooleanField(source="user.is_active")
    suspension = serializers.IntegerField(source="pk")
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    tokens_deleted = serializers.IntegerField()
    sessions_deleted = serializers.IntegerField()
    suspended_at = serializers.DateTimeField()


class AccountStateSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="pk")
    is_active = serializers.BooleanField()


class AccessRowSerializer(serializers.Serializer):
    entry = serializers.IntegerField(source="entry_id")
    at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    match = serializers.CharField(help_text="case, person (the case's person) or list (a list or search)")
    cases = serializers.ListField(child=serializers.CharField(), source="case_references")
    via = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


class RecordRowSerializer(serializers.Serializer):
    object_type = serializers.CharField()
    object_id = serializers.IntegerField()
    cases = serializers.ListField(child=serializers.CharField(), source="references")
    reads = serializers.IntegerField()
    changes = serializers.IntegerField()
    listed = serializers.IntegerField()
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(source="first_day")
    end = serializers.DateField(source="last_day")
    clipped = serializers.BooleanField()


class AccessReviewSerializer(serializers.Serializer):
    period = PeriodSerializer()
    truncated = serializers.BooleanField()
    list_entries_scanned = serializers.IntegerField()
    rows = AccessRowSerializer(many=True)


class RecordReviewSerializer(serializers.Serializer):
    period = PeriodSerializer()
    truncated = serializers.BooleanField()
    rows = RecordRowSerializer(many=True)
