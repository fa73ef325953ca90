"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:emergency-access-list``, ``-detail``, ``-end``, ``-acknowledge``, ``-revoke``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.api.routers import Router
from vigil.server.emergency.api import EmergencyAccessViewSet

router = Router()
router.register("emergency-access", EmergencyAccessViewSet, basename="emergency-access")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
