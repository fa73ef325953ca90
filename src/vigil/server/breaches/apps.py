from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "vigil.server.breaches"
    label = "breaches"
    verbose_name = "Breach register"
