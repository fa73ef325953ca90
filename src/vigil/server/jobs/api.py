"""``GET /api/jobs/``: each scheduled job with its interval, last run and next due (administrators)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server.jobs.runner import JobStatus, statuses


class IsAdministrator(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.can("admin"))


class ScheduledJobRunSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    status = serializers.CharField()
    summary = serializers.JSONField(help_text='Counts only, e.g. {"anonymised_cases": 2}.')
    error_class = serializers.CharField()
    error_message = serializers.CharField()
    host = serializers.CharField()
    pid = serializers.IntegerField(allow_null=True)


class ScheduledJobSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    interval_seconds = serializers.IntegerField()
    last_run = ScheduledJobRunSerializer(allow_null=True, help_text="The latest run, whatever its status.")
    last_success_at = serializers.DateTimeField(allow_null=True)
    next_due = serializers.DateTimeField(
        allow_null=True, help_text="After the last success; null if it never succeeded."
    )
    due = serializers.BooleanField(help_text="Runs at the next tick of the scheduler.")


def _row(st: JobStatus, now: Any) -> dict[str, Any]:
    return {
        "name": st.job.name,
        "description": str(st.job.description),
        "interval_seconds": int(st.job.every.total_seconds()),
        "last_run": st.last_run,
        "last_success_at": st.last_success.started_at if st.last_success else None,
        "next_due": st.next_due,
        "due": st.due(now),
    }


class JobListView(APIView):
    """The scheduled jobs and how their last runs went. Administrators only; the runs themselves
    are in the Django admin (*Scheduled jobs > Job runs*)."""

    permission_classes = (permissions.IsAuthenticated, IsAdministrator)

    @extend_schema(responses=ScheduledJobSerializer(many=True), summary="Scheduled jobs and their last runs")
    def get(self, request: Any) -> Response:
        now = timezone.now()
        return Response(ScheduledJobSerializer([_row(st, now) for st in statuses()], many=True).data)
