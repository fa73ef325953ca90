"""API routes of this app (namespace ``api``): ``api:inspections-workplace-*``,
``api:inspections-plan-*``, ``api:inspections-visit-*`` (``-complete``, ``-follow-up``),
``api:inspections-observation-*``, ``api:inspections-interview-*`` (``-refer``),
``api:inspections-finding-*``, ``api:inspections-action-*`` (``-verify``),
``api:inspections-worklist``, ``api:inspections-statistics``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.api.routers import Router
from vigil.server.inspections import api

router = Router()
router.register("inspections/workplaces", api.WorkplaceViewSet, basename="inspections-workplace")
router.register("inspections/plans", api.PlanViewSet, basename="inspections-plan")
router.register("inspections/visits", api.VisitViewSet, basename="inspections-visit")
router.register("inspections/observations", api.ObservationViewSet, basename="inspections-observation")
router.register("inspections/interviews", api.InterviewViewSet, basename="inspections-interview")
router.register("inspections/findings", api.FindingViewSet, basename="inspections-finding")
router.register("inspections/actions", api.ActionViewSet, basename="inspections-action")

urlpatterns: list[URLPattern | URLResolver] = [
    path("inspections/worklist/", api.WorklistView.as_view(), name="inspections-worklist"),
    path("inspections/statistics/", api.StatisticsView.as_view(), name="inspections-statistics"),
    *router.urls,
]
