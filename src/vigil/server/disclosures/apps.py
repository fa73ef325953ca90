from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "vigil.server.disclosures"
    label = "disclosures"
    verbose_name = "Encrypted exports and data-subject requests"
