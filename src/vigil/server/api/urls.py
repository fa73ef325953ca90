"""The root of the API: the schema, the interactive docs, and each app's ``api_urls``."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from vigil.server.api.docs import docs_view

APPS = (
    "accounts",
    "statistics",
    "emergency",
    "breaches",
    "disclosures",
    "jobs",
    "cases",
    "followups",
    "referrals",
    "recruitment",
    "inspections",
    "supply",
    "national",
    "fieldwork",
    "audit",
)

app_name = "api"
urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_view, name="docs"),
    *(path("", include(f"vigil.server.{name}.api_urls")) for name in APPS),
]
