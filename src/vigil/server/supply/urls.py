"""Pages of this app, included at the site root by vigil.server.urls (``/supply/...``)."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.supply import views

app_name = "supply"
urlpatterns: list[URLPattern | URLResolver] = [
    path("supply/", views.chain, name="chain"),
    path("supply/import/", views.import_page, name="import"),
    path("supply/matches/", views.matches, name="matches"),
    path("supply/entities/<int:pk>/", views.entity, name="entity"),
    path("supply/remediation/", views.remediation, name="remediation"),
    path("supply/plans/", views.plans, name="plans"),
    path("supply/plans/<int:pk>/", views.plan, name="plan"),
    path("supply/report.<str:fmt>", views.report, name="report"),
]
