"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:audit-list``, ``api:audit-detail``."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from vigil.server.audit import api

router = SimpleRouter(trailing_slash=True)
router.register("audit", api.AuditEntryViewSet, basename="audit")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
