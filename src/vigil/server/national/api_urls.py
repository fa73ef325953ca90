"""API routes of this app (namespace ``api``): ``api:national-indicators``,
``api:national-releases``, ``api:national-alerts``, ``api:national-alert``,
``api:national-alert-decide``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.api import routers  # noqa: F401 (registers the bounded <id:...> converter)
from vigil.server.national import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("national/indicators/", api.IndicatorsView.as_view(), name="national-indicators"),
    path("national/releases/", api.ReleaseListView.as_view(), name="national-releases"),
    path("national/alerts/", api.AlertListView.as_view(), name="national-alerts"),
    path("national/alerts/<id:pk>/", api.AlertDetailView.as_view(), name="national-alert"),
    path("national/alerts/<id:pk>/decide/", api.AlertDecideView.as_view(), name="national-alert-decide"),
]
