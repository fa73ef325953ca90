"""API routes of this app (namespace ``api``): ``api:recruitment-agency-*``,
``api:recruitment-licence-*`` (and ``-status``), ``api:recruitment-complaint-*``,
``api:recruitment-fee-report-*``, ``api:recruitment-offer-*`` (and
``-approve``, ``-reject``, ``-withdraw``), ``api:recruitment-worklist``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.api.routers import Router
from vigil.server.recruitment import api

router = Router()
router.register("recruitment/agencies", api.AgencyViewSet, basename="recruitment-agency")
router.register("recruitment/licences", api.LicenceViewSet, basename="recruitment-licence")
router.register("recruitment/complaints", api.ComplaintViewSet, basename="recruitment-complaint")
router.register("recruitment/offers", api.JobOfferViewSet, basename="recruitment-offer")
router.register("recruitment/inspections", api.InspectionViewSet, basename="recruitment-inspection")
router.register("recruitment/case-links", api.CaseLinkViewSet, basename="recruitment-case-link")
router.register("recruitment/name-pairs", api.NamePairViewSet, basename="recruitment-name-pair")
router.register("recruitment/fee-reports", api.FeeReportViewSet, basename="recruitment-fee-report")

urlpatterns: list[URLPattern | URLResolver] = [
    path("recruitment/worklist/", api.WorklistView.as_view(), name="recruitment-worklist"),
    *router.urls,
]
