"""Pages of this app, included at the site root by vigil.server.urls: the public pages under
``/public/`` (no login) and the regulator's under ``/recruitment/``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.recruitment import views

app_name = "recruitment"
urlpatterns: list[URLPattern | URLResolver] = [
    path("public/agencies/", views.licence_check, name="public-licence-check"),
    path("public/offer-check/", views.offer_check, name="public-offer-check"),
    path("public/complaints/new/", views.complain, name="public-complain"),
    path("public/complaints/follow-up/", views.follow_up, name="public-follow-up"),
    path("public/offers/", views.public_offers, name="public-offers"),
    path("recruitment/offers/", views.offer_list, name="offer-list"),
    path("recruitment/offers/new/", views.offer_edit, name="offer-new"),
    path("recruitment/offers/<int:pk>/", views.offer_detail, name="offer-detail"),
    path("recruitment/offers/<int:pk>/edit/", views.offer_edit, name="offer-edit"),
    path("recruitment/agencies/", views.agency_list, name="agency-list"),
    path("recruitment/agencies/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("recruitment/worklist/", views.worklist, name="worklist"),
    path("recruitment/case-links/", views.case_link, name="case-link"),
    path("recruitment/cases/<id:pk>/agencies/", views.case_agency_link, name="case-agency-link"),
    path("recruitment/names/", views.name_review, name="name-review"),
    path("recruitment/import/", views.import_page, name="import"),
    path("recruitment/complaints/", views.complaint_list, name="complaint-list"),
    path("recruitment/complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
]
