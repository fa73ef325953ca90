from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "vigil.server.emergency"
    label = "emergency"
    verbose_name = "Emergency (break-glass) access"
