"""The coordinator edits the guides in the admin, per language; publishing is a review action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.server.safemigration import services
from vigil.server.safemigration.models import Guide


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ("country", "country_name", "language", "role", "status", "reviewed_on", "demo")
    list_filter = ("status", "language", "role", "demo")
    readonly_fields = ("status", "reviewed_on", "reviewed_by", "updated_at")
    actions = ("publish",)

    def has_module_permission(self, request: Any) -> bool:
        return services.may_edit(request.user)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return services.may_edit(request.user)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return services.may_edit(request.user)

    def has_add_permission(self, request: Any) -> bool:
        return services.may_edit(request.user)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return services.may_publish(request.user)

    def save_model(self, request: Any, obj: Guide, form: Any, change: bool) -> None:
        was = obj.status
        super().save_model(request, obj, form, change)
        services.edited(obj, list(form.changed_data), request.user)
        if was == Guide.Status.PUBLISHED and obj.status == Guide.Status.REVIEW:
            self.message_user(
                request,
                _("The text changed: the guide waits for a new review before the public sees it."),
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Reviewed: publish the selected guides"))
    def publish(self, request: Any, queryset: Any) -> None:
        if not services.may_publish(request.user):
            self.message_user(request, _("Only a coordinator may publish a guide."), messages.ERROR)
            return
        n = 0
        for guide in queryset:
            services.publish(guide, request.user)
            n += 1
        self.message_user(request, _("%(n)s guide(s) published.") % {"n": n}, messages.SUCCESS)
