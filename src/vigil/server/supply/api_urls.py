"""API routes of this app (namespace ``api``): ``api:supply-entity-*``, ``api:supply-link-*``,
``api:supply-match-*`` (``-merge``, ``-distinct``), ``api:supply-merge-*`` (``-undo``),
``api:supply-audit-*`` (``-findings``), ``api:supply-plan-*``, ``api:supply-milestone-*``,
``api:supply-import``, ``api:supply-risk``, ``api:supply-remediation``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.api.routers import Router
from vigil.server.supply import api

router = Router()
router.register("supply/entities", api.EntityViewSet, basename="supply-entity")
router.register("supply/links", api.LinkViewSet, basename="supply-link")
router.register("supply/matches", api.MatchViewSet, basename="supply-match")
router.register("supply/merges", api.MergeViewSet, basename="supply-merge")
router.register("supply/audits", api.AuditViewSet, basename="supply-audit")
router.register("supply/plans", api.PlanViewSet, basename="supply-plan")
router.register("supply/milestones", api.MilestoneViewSet, basename="supply-milestone")

urlpatterns: list[URLPattern | URLResolver] = [
    path("supply/import/", api.ImportView.as_view(), name="supply-import"),
    path("supply/risk/", api.RiskView.as_view(), name="supply-risk"),
    path("supply/remediation/", api.RemediationView.as_view(), name="supply-remediation"),
    *router.urls,
]
