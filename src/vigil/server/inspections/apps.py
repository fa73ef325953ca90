from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "vigil.server.inspections"
    label = "inspections"
    verbose_name = "Labour inspections"

    def ready(self) -> None:
        from vigil.server.inspections import signals

        signals.connect()
