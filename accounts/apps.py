from django.apps import AppConfig

from omniflow.ratelimits import register_settings_check


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from omniflow.page_middleware import register_csrf_deploy_check

        register_csrf_deploy_check()
        register_settings_check("OMNIFLOW_LOGIN_ACCOUNT_RATE", "OMNIFLOW_LOGIN_IP_RATE")
