"""Pages of this app, included at the site root by vigil.server.urls."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.followups import views

app_name = "followups"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<int:pk>/followups/", views.followup_add, name="followup-add"),
    path("followups/", views.followup_worklist, name="followup-worklist"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup-done"),
]
