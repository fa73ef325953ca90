from django.contrib import admin
from django.urls import include, path

from vigil.server.web import views as web_views

admin.site.site_header = "Vigil administration"
admin.site.site_title = "Vigil"

# Each app's pages, at the site root (namespace = app label).
PAGE_APPS = (
    "emergency",
    "breaches",
    "disclosures",
    "accounts",
    "cases",
    "referrals",
    "followups",
    "statistics",
    "recruitment",
    "supply",
    "national",
    "inspections",
    "fieldwork",
    "safemigration",
)

urlpatterns = [
    path("api/", include("vigil.server.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *(path("", include(f"vigil.server.{name}.urls")) for name in PAGE_APPS),
    path("", include("vigil.server.web.urls")),
]

handler400 = web_views.bad_request
handler404 = web_views.not_found
handler500 = web_views.server_error
handler403 = web_views.forbidden
