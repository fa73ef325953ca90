"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver

app_name = "emergency"
urlpatterns: list[URLPattern | URLResolver] = []
