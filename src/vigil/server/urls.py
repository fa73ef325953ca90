from django.contrib import admin
from django.urls import include, path

from vigil.server.web import views as web_views

admin.site.site_header = "Vigil administration"
admin.site.site_title = "Vigil"

urlpatterns = [
    path("api/", include("vigil.server.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("vigil.server.emergency.urls")),
    path("", include("vigil.server.breaches.urls")),
    path("", include("vigil.server.disclosures.urls")),
    path("", include("vigil.server.web.urls")),
]

handler404 = web_views.not_found
handler500 = web_views.server_error
handler403 = web_views.forbidden
