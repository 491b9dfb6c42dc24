"""The product page's three use cases as rule presets: data an admin picks and edits.

A preset fills the rule form (or the API body): it is never a code path of its own. Each comes
with the payload shape and trigger settings it expects, which the admin adapts to the sender.
"""

from typing import Any

RULE_PRESETS: dict[str, dict[str, Any]] = {
    "order_shipped": {
        "label": "Order shipped → tag the conversation",
        "trigger": {
            "resource": "conversation",
            "action": "run_rules",
            "conversation_path": "order.conversation_id",
            "payload_schema": {
                "type": "object",
                "required": ["order"],
                "properties": {
                    "order": {
                        "type": "object",
                        "required": ["conversation_id", "status"],
                        "properties": {
                            "conversation_id": {"type": "string"},
                            "status": {"type": "string"},
                        },
                    }
                },
            },
        },
        "rule": {
            "name": "Order shipped",
            "trigger": "inbound",
            "conditions": [
                {"field": "payload.order.status", "operator": "equals", "value": "shipped"}
            ],
            "actions": [{"type": "tag", "tag": "shipped"}],
        },
    },
    "incident_escalation": {
        "label": "Vendor incident paged → escalate every open ticket tagged with the component",
        "trigger": {
            "resource": "ticket",
            "action": "run_rules",
            "idempotency_path": "incident.id",
            "payload_schema": {
                "type": "object",
                "required": ["incident"],
                "properties": {
                    "incident": {
                        "type": "object",
                        "required": ["id", "component", "status"],
                        "properties": {
                            "id": {"type": "string"},
                            "component": {"type": "string"},
                            "status": {"type": "string"},
                        },
                    }
                },
            },
        },
        "rule": {
            "name": "Incident paged: escalate the component's tickets",
            "trigger": "inbound",
            "conditions": [
                {
                    "field": "payload.incident.status",
                    "operator": "in",
                    "value": ["triggered", "paged"],
                }
            ],
            "actions": [
                {
                    "type": "set_ticket_status",
                    "status": "escalated",
                    "selector": {"tag_path": "incident.component"},
                }
            ],
            "max_tickets": 200,
        },
    },
    "website_form": {
        "label": "Website form → create the contact and assign it",
        "trigger": {
            "resource": "contact",
            "action": "run_rules",
            "honeypot_field": "website",
            "payload_schema": {
                "type": "object",
                "required": ["email"],
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "name": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
        "rule": {
            "name": "Website form: create the contact",
            "trigger": "inbound",
            "conditions": [{"field": "payload.email", "operator": "exists", "value": True}],
            "actions": [
                {
                    "type": "upsert_contact",
                    "email_path": "email",
                    "name_path": "name",
                    "assignee": None,
                }
            ],
        },
    },
}


def rule_presets() -> list[dict[str, Any]]:
    """Return the presets, each with its key, for a picker or `GET /inbound-rule-presets`."""
    return [{"key": key, **preset} for key, preset in RULE_PRESETS.items()]
