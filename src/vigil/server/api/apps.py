from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The shared API plumbing; an app only for the idempotency keys' table (``models``)."""

    name = "vigil.server.api"
    label = "api"
    verbose_name = _("API")
