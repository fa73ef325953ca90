"""Pages of this app, included at the site root by vigil.server.urls (namespace ``fieldwork``)."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.fieldwork import views

app_name = "fieldwork"
urlpatterns: list[URLPattern | URLResolver] = [
    path("fieldwork/", views.upload_list, name="upload-list"),
    path("fieldwork/upload/", views.upload_new, name="upload-new"),
    path("fieldwork/uploads/<int:pk>/", views.upload_detail, name="upload-detail"),
]
