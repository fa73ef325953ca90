"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:breach-list``, ``-detail``, ``-status``, ``-notifications``, ``-cases``, ``-access-review``,
``api:breach-review-record``, ``api:breach-review-user``, ``api:breach-account-suspend``,
``api:breach-account-reactivate``."""

from django.urls import URLPattern, URLResolver, include, path

from vigil.server.api.routers import Router
from vigil.server.breaches import api

router = Router()
router.register("breaches", api.BreachIncidentViewSet, basename="breach")

urlpatterns: list[URLPattern | URLResolver] = [
    path("access-review/record/", api.RecordAccessReviewView.as_view(), name="breach-review-record"),
    path("access-review/user/<id:pk>/", api.UserAccessReviewView.as_view(), name="breach-review-user"),
    path("accounts/<id:pk>/suspend/", api.SuspendAccountView.as_view(), name="breach-account-suspend"),
    path(
        "accounts/<id:pk>/reactivate/", api.ReactivateAccountView.as_view(), name="breach-account-reactivate"
    ),
    path("", include(router.urls)),
]
