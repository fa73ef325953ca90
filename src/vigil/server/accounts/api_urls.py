"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:token``, ``api:me``, ``api:organisation-*``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.accounts import api
from vigil.server.api.routers import Router

router = Router()
router.register("organisations", api.OrganisationViewSet, basename="organisation")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", api.TokenView.as_view(), name="token"),
    path("me/", api.me, name="me"),
    path("", include(router.urls)),
]
