"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.emergency import views

app_name = "emergency"
urlpatterns: list[URLPattern | URLResolver] = [
    path("emergency/", views.grant_list, name="list"),
    path("emergency/new/", views.grant_new, name="new"),
    path("emergency/<int:pk>/end/", views.grant_end, name="end"),
    path("emergency/<int:pk>/acknowledge/", views.grant_acknowledge, name="acknowledge"),
    path("emergency/<int:pk>/revoke/", views.grant_revoke, name="revoke"),
    path("emergency/<int:pk>/trail/", views.grant_trail, name="trail"),
]
