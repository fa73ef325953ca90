"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:audit-list``, ``api:audit-detail``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.api.routers import Router
from vigil.server.audit import api

router = Router()
router.register("audit", api.AuditEntryViewSet, basename="audit")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
