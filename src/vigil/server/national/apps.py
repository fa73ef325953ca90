from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NationalConfig(AppConfig):
    name = "vigil.server.national"
    label = "national"
    verbose_name = "The national picture"

    def ready(self) -> None:
        from vigil.server.jobs.registry import register
        from vigil.server.national import cache

        cache.connect()

        register(
            "national_alerts",
            alerts_job,
            every=timedelta(days=7),
            description=_(
                "Early warning: weekly counts by sector, agency and workplace (new cases, positive "
                "screenings, complaints, fee breaches, offers with warning signs, forced-labour findings) "
                "against the Farrington threshold; an alert (inbox and e-mail) for each unit above it."
            ),
        )


def alerts_job() -> dict[str, int]:
    from vigil.server.national import demo, services

    created = services.scan(end=demo.last_complete_week())
    return {"alerts": len(created)}
