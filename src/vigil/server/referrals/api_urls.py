"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:provider-*``, ``api:referral-*``, ``api:agreement-*``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.api.routers import Router
from vigil.server.referrals import api

router = Router()
router.register("providers", api.ServiceProviderViewSet, basename="provider")
router.register("referrals", api.ReferralViewSet, basename="referral")
router.register("agreements", api.DataSharingAgreementViewSet, basename="agreement")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
