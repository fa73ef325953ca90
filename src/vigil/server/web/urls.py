"""The shared pages: the home page. Each app's pages are in its own ``urls.py``."""

from django.urls import URLPattern, URLResolver, path

from vigil.server.web import views

app_name = "web"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
]
