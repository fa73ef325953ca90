from django.apps import AppConfig


class SupplyConfig(AppConfig):
    name = "vigil.server.supply"
    label = "supply"
    verbose_name = "Supply chains"
