"""API routes of this app, included under /api/ by vigil.server.api.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.jobs.api import JobListView

urlpatterns: list[URLPattern | URLResolver] = [
    path("jobs/", JobListView.as_view(), name="jobs-list"),
]
