"""The job runs in the Django admin: read-only, administrators only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vigil.server.jobs.models import JobRun


def _is_administrator(request: Any) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.can("admin"))


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "started_at", "duration", "host", "pid", "error_class")
    list_filter = ("name", "status")
    date_hierarchy = "started_at"
    readonly_fields = (
        "name",
        "status",
        "started_at",
        "finished_at",
        "summary",
        "error_class",
        "error_message",
        "host",
        "pid",
    )
    fields = readonly_fields

    @admin.display(description=_("duration (s)"))
    def duration(self, obj: JobRun) -> str:
        return f"{obj.duration_seconds:.1f}"

    def has_module_permission(self, request: Any) -> bool:
        return _is_administrator(request)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return _is_administrator(request)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
