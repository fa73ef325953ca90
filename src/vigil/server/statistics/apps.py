from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "vigil.server.statistics"
    label = "statistics"
    verbose_name = "Statistics for analysts"
