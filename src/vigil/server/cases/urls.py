"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.cases import views

app_name = "cases"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/person/", views.person_edit, name="person-edit"),
    path("cases/<int:pk>/possible-victim/", views.possible_victim, name="possible-victim"),
    path("cases/<int:pk>/stages/", views.stage_add, name="stage-add"),
    path("stages/regions/", views.stage_regions, name="stage-regions"),
    path("stages/<int:pk>/region/", views.stage_region, name="stage-region"),
    path("cases/<int:pk>/consents/", views.consent_page, name="consent"),
    path("cases/<int:pk>/screenings/", views.screening_start, name="screening-start"),
    path("screenings/<int:pk>/", views.screening_page, name="screening"),
    path("screenings/<int:pk>/guided/", views.screening_guided, name="screening-guided"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
]
