from django.apps import AppConfig


class AgentToolsConfig(AppConfig):
    name = "agenttools"
    verbose_name = "Agent tools"

    def ready(self) -> None:
        from inbox.services.agents import agent_tool_snapshots_register

        from .snapshots import agent_tool_snapshots

        agent_tool_snapshots_register(agent_tool_snapshots)
