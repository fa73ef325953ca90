"""Pages of this app, included at the site root by vigil.server.urls, under ``/inspections/``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.inspections import views

app_name = "inspections"
urlpatterns: list[URLPattern | URLResolver] = [
    path("inspections/", views.worklist, name="worklist"),
    path("inspections/plans/", views.plan_list, name="plan-list"),
    path("inspections/plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("inspections/workplaces/", views.workplace_list, name="workplace-list"),
    path("inspections/workplaces/<int:pk>/", views.workplace_detail, name="workplace-detail"),
    path("inspections/workplaces/<int:workplace>/plan-visit/", views.plan_visit, name="plan-visit"),
    path("inspections/visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("inspections/visits/<int:pk>/interviews/new/", views.interview_new, name="interview-new"),
    path("inspections/interviews/<int:pk>/", views.interview_detail, name="interview-detail"),
    path("inspections/visit-form.xlsx", views.visit_form, name="visit-form"),
    path("inspections/statistics/", views.statistics, name="statistics"),
]
