"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.referrals import views

app_name = "referrals"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<int:pk>/referrals/", views.referral_create, name="referral-create"),
    path("referrals/", views.referral_inbox, name="referral-inbox"),
    path("referrals/<int:pk>/revoke/", views.referral_revoke, name="referral-revoke"),
    path("referrals/<int:pk>/<str:action>/", views.referral_decide, name="referral-decide"),
]
