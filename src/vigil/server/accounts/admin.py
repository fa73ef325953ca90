from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from vigil.server.accounts.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "country")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "organisation", "role", "scope", "is_active")
    list_filter = ("role", "scope", "organisation")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Vigil", {"fields": ("organisation", "role", "scope")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Vigil", {"fields": ("organisation", "role", "scope")}),
    )
