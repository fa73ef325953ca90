from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from vigil.server.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("persons", views.PersonViewSet, basename="person")
router.register("cases", views.CaseViewSet, basename="case")
router.register("stages", views.MigrationStageViewSet, basename="stage")
router.register("consents", views.ConsentViewSet, basename="consent")
router.register("screenings", views.ScreeningViewSet, basename="screening")
router.register("followups", views.FollowUpViewSet, basename="followup")
router.register("providers", views.ServiceProviderViewSet, basename="provider")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("agreements", views.DataSharingAgreementViewSet, basename="agreement")
router.register("audit", views.AuditEntryViewSet, basename="audit")
router.register("organisations", views.OrganisationViewSet, basename="organisation")

app_name = "api"
urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("me/", views.me, name="me"),
    path("exports/cases/", views.CaseExportView.as_view(), name="export-cases"),
    path("stats/cases/", views.CaseStatisticsView.as_view(), name="stats-cases"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.docs_view, name="docs"),
    path("", include("vigil.server.emergency.api_urls")),
    path("", include("vigil.server.breaches.api_urls")),
    path("", include("vigil.server.disclosures.api_urls")),
    path("", include("vigil.server.jobs.api_urls")),
    path("", include(router.urls)),
]
