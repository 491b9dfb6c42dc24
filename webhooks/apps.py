from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from workspaces.overview import overview_panel_register

        from .overview import deliveries_panel, endpoints_panel

        overview_panel_register(deliveries_panel, order=10)
        overview_panel_register(endpoints_panel, order=20)
