from django.contrib import admin

from vigil.server.referrals.models import DataSharingAgreement, ServiceProvider


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "service_type", "area", "languages", "capacity", "active")
    list_filter = ("service_type", "active")
    search_fields = ("name", "area")


@admin.register(DataSharingAgreement)
class DataSharingAgreementAdmin(admin.ModelAdmin):
    list_display = ("discloser", "recipient", "purpose", "signed_on", "expires_on", "terminated_on")
    list_filter = ("purpose",)
    search_fields = ("discloser__name", "recipient__name", "document_reference")
