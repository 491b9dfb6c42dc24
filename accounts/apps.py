from django.apps import AppConfig

from omniflow.ratelimits import register_settings_check


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        register_settings_check("OMNIFLOW_LOGIN_ACCOUNT_RATE", "OMNIFLOW_LOGIN_IP_RATE")
