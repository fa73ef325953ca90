from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "vigil.server.cases"
    label = "cases"
    verbose_name = "Cases"
