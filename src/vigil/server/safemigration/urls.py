"""Public pages of this app (no login), included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.safemigration import views

app_name = "safemigration"
urlpatterns: list[URLPattern | URLResolver] = [
    path("public/safe-migration/", views.index, name="index"),
    path("public/safe-migration/<str:country>/", views.guide, name="guide"),
]
