"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.statistics import views

app_name = "statistics"
urlpatterns: list[URLPattern | URLResolver] = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/cases.csv", views.statistics_csv, name="statistics-csv"),
]
