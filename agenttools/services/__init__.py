"""Writes of agent tools: definitions and grants (`tools`), calls (`calls`); import from here."""

from .calls import AgentNotPublished, CallOutcome, UnknownTool, agent_tool_call, tool_try
from .tools import (
    SECRET_CLEARED_NOTE,
    agent_tools_set,
    tool_create,
    tool_delete,
    tool_problems,
    tool_update,
    tools_import_openapi,
)

__all__ = [
    "SECRET_CLEARED_NOTE",
    "AgentNotPublished",
    "CallOutcome",
    "UnknownTool",
    "agent_tool_call",
    "agent_tools_set",
    "tool_create",
    "tool_delete",
    "tool_problems",
    "tool_try",
    "tool_update",
    "tools_import_openapi",
]
