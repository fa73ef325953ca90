"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.disclosures import views

app_name = "disclosures"
urlpatterns: list[URLPattern | URLResolver] = [
    path("disclosures/", views.exports_page, name="exports"),
    path("disclosures/download/<str:token>/", views.download, name="download"),
    path("disclosures/requests/", views.request_list, name="requests"),
    path("disclosures/requests/new/", views.request_new, name="request-new"),
    path("disclosures/requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("disclosures/requests/<int:pk>/<str:action>/", views.request_action, name="request-action"),
]
