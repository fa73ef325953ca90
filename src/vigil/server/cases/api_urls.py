"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:person-*``, ``api:case-*``, ``api:stage-*``, ``api:consent-*``, ``api:screening-*``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.api.routers import Router
from vigil.server.cases import api

router = Router()
router.register("persons", api.PersonViewSet, basename="person")
router.register("cases", api.CaseViewSet, basename="case")
router.register("stages", api.MigrationStageViewSet, basename="stage")
router.register("consents", api.ConsentViewSet, basename="consent")
router.register("screenings", api.ScreeningViewSet, basename="screening")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
