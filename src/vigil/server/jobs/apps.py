from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "vigil.server.jobs"
    label = "jobs"
    verbose_name = "Scheduled jobs"
