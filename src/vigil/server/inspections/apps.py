from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "vigil.server.inspections"
    label = "inspections"
    verbose_name = "Labour inspections"
