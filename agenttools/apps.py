from django.apps import AppConfig


class AgentToolsConfig(AppConfig):
    name = "agenttools"
    verbose_name = "Agent tools"
