from django.apps import AppConfig

from omniflow.ratelimits import register_settings_check


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound webhooks"

    def ready(self):
        register_settings_check("OMNIFLOW_INBOUND_RATE")
