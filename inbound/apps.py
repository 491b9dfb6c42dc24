from django.apps import AppConfig

from omniflow.ratelimits import register_settings_check


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound webhooks"

    def ready(self) -> None:
        from workspaces.overview import overview_panel_register

        from . import rule_vocabulary
        from .overview import triggers_panel

        register_settings_check("OMNIFLOW_INBOUND_RATE")
        overview_panel_register(triggers_panel, order=30)
        rule_vocabulary.register()
