from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "vigil.server.national"
    label = "national"
    verbose_name = "The national picture"
