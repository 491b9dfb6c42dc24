from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound webhooks"

    def ready(self) -> None:
        from workspaces.overview import overview_panel_register

        from .overview import triggers_panel

        overview_panel_register(triggers_panel, order=30)
