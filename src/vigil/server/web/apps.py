from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vigil.server.web"
    label = "web"
    verbose_name = "Pages"
