from django.contrib import admin

from vigil.server.cases.models import RetentionPolicy


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("record_type", "days")
