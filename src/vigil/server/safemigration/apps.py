from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafeMigrationConfig(AppConfig):
    name = "vigil.server.safemigration"
    label = "safemigration"
    verbose_name = _("Safe-migration information")
    default_auto_field = "django.db.models.BigAutoField"
