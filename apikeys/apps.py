from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        from workspaces.overview import overview_panel_register

        from .overview import keys_panel

        overview_panel_register(keys_panel, order=40)
