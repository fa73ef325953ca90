from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigil.server.accounts"
    label = "accounts"
    verbose_name = "Accounts"
