from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "vigil.server.referrals"
    label = "referrals"
    verbose_name = "Referrals"
