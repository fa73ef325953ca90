"""API routes of this app, included under /api/ by vigil.server.api.urls (namespace ``api``):
``api:fieldwork-upload-list``, ``api:fieldwork-upload-detail``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.fieldwork import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("fieldwork/uploads/", api.UploadListView.as_view(), name="fieldwork-upload-list"),
    path("fieldwork/uploads/<id:pk>/", api.UploadDetailView.as_view(), name="fieldwork-upload-detail"),
]
