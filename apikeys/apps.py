from django.apps import AppConfig

from omniflow.ratelimits import register_settings_check


class ApiKeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self):
        register_settings_check("OMNIFLOW_API_UNAUTHENTICATED_RATE")
