from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosuresConfig(AppConfig):
    name = "vigil.server.disclosures"
    label = "disclosures"
    verbose_name = "Encrypted exports and data-subject requests"

    def ready(self) -> None:
        from vigil.server.disclosures.exportfiles import purge_job
        from vigil.server.jobs.registry import register

        register(
            "export_purge",
            purge_job,
            every=timedelta(hours=1),
            description=_("Delete expired and used-up export files, and files left without a record."),
        )
