"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:followup-*``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.api.routers import Router
from vigil.server.followups import api

router = Router()
router.register("followups", api.FollowUpViewSet, basename="followup")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
