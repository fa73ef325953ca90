from django.contrib import admin

from vigil.server.referrals.models import ServiceProvider


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "service_type", "area", "languages", "capacity", "active")
    list_filter = ("service_type", "active")
    search_fields = ("name", "area")
