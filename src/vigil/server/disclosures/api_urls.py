"""API routes of this app, included under /api/ by vigil.server.api.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.api.routers import Router
from vigil.server.disclosures import api

router = Router()
router.register("subject-requests", api.SubjectRequestViewSet, basename="disclosures-subject-request")

urlpatterns: list[URLPattern | URLResolver] = [
    path("disclosures/statistics/", api.StatisticsExportView.as_view(), name="disclosures-statistics"),
    *router.urls,
]
