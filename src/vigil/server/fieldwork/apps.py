from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "vigil.server.fieldwork"
    label = "fieldwork"
    verbose_name = _("Field submissions")
    default_auto_field = "django.db.models.BigAutoField"
