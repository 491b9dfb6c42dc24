"""Writes of the inbox domain, one module per resource; import them from here."""

from .agents import agent_create, agent_publish
from .common import (
    SYSTEM_ACTOR,
    UNSET,
    actor_for_api_key,
    actor_for_rule,
    actor_for_user,
)
from .contacts import contact_update, contact_upsert
from .conversations import conversation_ingest, conversation_update
from .routing import (
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
    routing_rules_apply,
)
from .scorecards import scorecard_create
from .tickets import ticket_create, ticket_update
from .trace import trace_event_record
from .training import training_attempt_complete, training_attempt_create

__all__ = [
    "SYSTEM_ACTOR",
    "UNSET",
    "actor_for_api_key",
    "actor_for_rule",
    "actor_for_user",
    "agent_create",
    "agent_publish",
    "contact_update",
    "contact_upsert",
    "conversation_ingest",
    "conversation_update",
    "routing_rule_create",
    "routing_rule_delete",
    "routing_rule_update",
    "routing_rules_apply",
    "scorecard_create",
    "ticket_create",
    "ticket_update",
    "trace_event_record",
    "training_attempt_complete",
    "training_attempt_create",
]
