from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "vigil.server.jobs"
    label = "jobs"
    verbose_name = _("Scheduled jobs")

    def ready(self) -> None:
        from vigil.server.jobs.builtin import register_builtin_jobs

        register_builtin_jobs()
