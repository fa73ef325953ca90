"""API routes of this app, included under /api/ by vigil.server.api.urls."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
