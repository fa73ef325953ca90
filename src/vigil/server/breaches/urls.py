"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.breaches import views

app_name = "breaches"
urlpatterns: list[URLPattern | URLResolver] = [
    path("breaches/", views.register, name="register"),
    path("breaches/report/", views.report, name="report"),
    path("breaches/<int:pk>/", views.detail, name="detail"),
    path("breaches/<int:pk>/edit/", views.edit, name="edit"),
    path("breaches/<int:pk>/status/", views.change_status, name="status"),
    path("breaches/<int:pk>/notifications/", views.notify, name="notify"),
    path("breaches/<int:pk>/cases/", views.change_cases, name="cases"),
    path("breaches/<int:pk>/access-review/", views.incident_review, name="incident-review"),
    path("breaches/access-review/", views.review, name="review"),
    path("breaches/accounts/", views.accounts, name="accounts"),
    path("breaches/accounts/<int:pk>/reactivate/", views.reactivate, name="reactivate"),
]
