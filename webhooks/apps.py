from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from omniflow.health import readiness_check_register
        from omniflow.metrics import collector_register
        from workspaces.overview import overview_panel_register

        from .operations import QueueGauges, backlog_problem, sweeper_problem
        from .overview import deliveries_panel, endpoints_panel

        overview_panel_register(deliveries_panel, order=10)
        overview_panel_register(endpoints_panel, order=20)
        readiness_check_register("sweeper", sweeper_problem)
        readiness_check_register("backlog", backlog_problem)
        collector_register(QueueGauges())
