"""Pages of this app, included at the site root by vigil.server.urls: the dashboards under
``/national/`` and the public statistics page ``/public/statistics/`` (no login)."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.national import views

app_name = "national"
urlpatterns: list[URLPattern | URLResolver] = [
    path("national/", views.dashboard, name="dashboard"),
    path("national/indicators/<slug:indicator_id>/", views.pivot, name="pivot"),
    path("national/indicators/<slug:indicator_id>/cases/", views.drill, name="drill"),
    path("national/flows/", views.flows_page, name="flows"),
    path("national/report/", views.report_download, name="report"),
    path("national/releases/", views.releases, name="releases"),
    path("national/estimates/", views.estimates, name="estimates"),
    path("national/alerts/", views.alert_inbox, name="alerts"),
    path("national/alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("public/statistics/", views.public_statistics, name="public-statistics"),
]
