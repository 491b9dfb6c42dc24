from django.apps import AppConfig

from omniflow.ratelimits import register_settings_check


class ApiKeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        from workspaces.overview import overview_panel_register

        from .overview import keys_panel

        register_settings_check("OMNIFLOW_API_UNAUTHENTICATED_RATE")
        overview_panel_register(keys_panel, order=40)
