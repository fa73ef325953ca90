"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:followup-*``."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from vigil.server.followups import api

router = SimpleRouter(trailing_slash=True)
router.register("followups", api.FollowUpViewSet, basename="followup")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
