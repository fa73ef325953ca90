"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:export-cases``, ``api:stats-cases``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.statistics import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("exports/cases/", api.CaseExportView.as_view(), name="export-cases"),
    path("stats/cases/", api.CaseStatisticsView.as_view(), name="stats-cases"),
]
