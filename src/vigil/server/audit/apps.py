from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "vigil.server.audit"
    label = "audit"
    verbose_name = "Audit"
