"""Writes of inbound webhooks: triggers (create, update, regenerate URL, delete) and receipts."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from omniflow import metrics
from omniflow.crypto import encrypt_secret
from omniflow.exceptions import RULE_ERROR_CODE
from omniflow.json_input import EXCERPT_BYTES, storable_text
from omniflow.retention import delete_in_batches, retention_days
from workspaces.models import Membership, Workspace

from .models import InboundReceipt, InboundTrigger
from .payloads import PathError, path_check, schema_errors
from .shapes import path_declared

Action = InboundTrigger.Action
Resource = InboundTrigger.Resource

# Each resource has the one action that acts on it.
ACTION_FOR_RESOURCE = {
    Resource.CONVERSATION: Action.TAG_CONVERSATION,
    Resource.TICKET: Action.ESCALATE_TICKETS,
    Resource.CONTACT: Action.CREATE_CONTACT,
    Resource.CUSTOM_EVENT: Action.RECORD_EVENT,
}
# Any resource may leave the work to its rules (e.g. an incident names no conversation).
RULES_ONLY = Action.RUN_RULES
PATH_FIELDS = (
    "conversation_path",
    "contact_email_path",
    "contact_external_id_path",
    "contact_name_path",
    "idempotency_path",
)
CONFIG_FIELDS = (
    "name",
    "resource",
    "action",
    "payload_schema",
    "conversation_match",
    "conversation_path",
    "tags",
    "event_name",
    "contact_email_path",
    "contact_external_id_path",
    "contact_name_path",
    "assignee",
    "idempotency_path",
    "enabled",
    "secret",
    "redirect_urls",
    "allowed_origins",
    "honeypot_field",
)


Refuse = Callable[..., None]


def _trigger_check(trigger: InboundTrigger) -> None:
    """Refuse a trigger whose action cannot run: every error at once, per field."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    _kind_check(trigger, refuse)
    _paths_check(trigger, refuse)
    _form_settings_check(trigger, refuse)
    _action_settings_check(trigger, refuse)
    if errors:
        raise ValidationError(errors)


def _kind_check(trigger: InboundTrigger, refuse: Refuse) -> None:
    if not trigger.name.strip():
        refuse("name", "Give the trigger a name.")
    if trigger.resource not in Resource.values:
        refuse("resource", f"Pick one of {', '.join(Resource.values)}.")
    elif trigger.action not in (ACTION_FOR_RESOURCE[trigger.resource], RULES_ONLY):
        expected = ACTION_FOR_RESOURCE[trigger.resource]
        message = f"A {trigger.resource} trigger runs the action '{expected}'."
        refuse("action", message, RULE_ERROR_CODE)


def _paths_check(trigger: InboundTrigger, refuse: Refuse) -> None:
    """The payload shape, and every path read from the payload, which the shape must declare."""
    shape_problems = schema_errors(trigger.payload_schema)
    for message in shape_problems:
        # Whether a value is a JSON Schema is the meta-schema's rule, no pattern of the API's.
        refuse("payload_schema", message, RULE_ERROR_CODE)
    for field in PATH_FIELDS:
        path = getattr(trigger, field)
        try:
            path_check(path)
        except PathError as error:
            refuse(field, str(error))
            continue
        # A path the shape does not declare is most likely a typo: it would never match.
        if (
            path
            and not shape_problems
            and not path_declared(schema=trigger.payload_schema, path=path)
        ):
            refuse(
                field,
                f"'{path}' is not in the JSON shape: declare it under the shape's properties, "
                "or fix the path.",
                RULE_ERROR_CODE,  # across fields: the path and the shape
            )


def _action_settings_check(trigger: InboundTrigger, refuse: Refuse) -> None:
    """What the trigger's action needs: where the conversation is, tags, event name, contact."""
    if trigger.action in (Action.TAG_CONVERSATION, Action.ESCALATE_TICKETS, Action.RECORD_EVENT):
        if not trigger.conversation_path:
            refuse(
                "conversation_path",
                "Say where in the payload the conversation is named.",
                RULE_ERROR_CODE,
            )
        if trigger.conversation_match not in InboundTrigger.ConversationMatch.values:
            refuse("conversation_match", "Match conversations by external_id or id.")
    if trigger.action == Action.TAG_CONVERSATION and not trigger.tags:
        refuse("tags", "Give at least one tag to add.", RULE_ERROR_CODE)
    if not isinstance(trigger.tags, list) or not all(
        isinstance(tag, str) and 0 < len(tag) <= 64 for tag in trigger.tags
    ):
        refuse("tags", "Tags are a list of names of 1 to 64 characters.")
    if trigger.resource == Resource.CUSTOM_EVENT and not trigger.event_name.strip():
        refuse("event_name", "Name the event to record, e.g. order.shipped.", RULE_ERROR_CODE)
    if trigger.action == Action.CREATE_CONTACT:
        if not trigger.contact_email_path and not trigger.contact_external_id_path:
            refuse(
                "contact_email_path",
                "Say where the contact's email or external id is.",
                RULE_ERROR_CODE,
            )
        if (
            trigger.assignee_id is not None
            and not Membership.objects.filter(
                workspace_id=trigger.workspace_id, user_id=trigger.assignee_id
            ).exists()
        ):
            refuse("assignee", "The assignee must be a member of this workspace.")


def _form_settings_check(trigger: InboundTrigger, refuse: Refuse) -> None:
    """Redirects and origins are allow-lists of absolute http(s) URLs; forms are for contacts."""
    for field in ("redirect_urls", "allowed_origins"):
        values = getattr(trigger, field)
        if not isinstance(values, list) or len(values) > 20:
            refuse(field, "Give a list of at most 20 URLs.")
            continue
        for value in values:
            parts = urlsplit(value) if isinstance(value, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                refuse(field, f"'{value}' is not an absolute http(s) URL.")
            elif field == "allowed_origins" and (parts.path or parts.query or parts.fragment):
                refuse(field, f"'{value}' is not an origin: give scheme://host[:port] only.")
    if (trigger.redirect_urls or trigger.honeypot_field) and trigger.resource != Resource.CONTACT:
        refuse("redirect_urls", "Website forms post to contact triggers only.", RULE_ERROR_CODE)


def _normalized(changes: dict[str, Any]) -> dict[str, Any]:
    if "secret" in changes:
        changes["secret"] = encrypt_secret(secret=(changes["secret"] or "").strip())
    if "tags" in changes and isinstance(changes["tags"], list):
        changes["tags"] = sorted({str(tag).strip() for tag in changes["tags"] if str(tag).strip()})
    for field in PATH_FIELDS:
        if isinstance(changes.get(field), str):
            changes[field] = changes[field].strip()
    for field in ("redirect_urls", "allowed_origins"):
        if isinstance(changes.get(field), list):
            changes[field] = [
                str(value).strip().rstrip("/") if field == "allowed_origins" else str(value).strip()
                for value in changes[field]
                if str(value).strip()
            ]
    if isinstance(changes.get("honeypot_field"), str):
        changes["honeypot_field"] = changes["honeypot_field"].strip()
    if changes.get("resource") and not changes.get("action"):
        changes["action"] = ACTION_FOR_RESOURCE.get(changes["resource"], "")
    return changes


@transaction.atomic
def trigger_create(
    *, workspace: Workspace, created_by: AbstractBaseUser | None, **config: Any
) -> InboundTrigger:
    """Create a trigger after checking its shape and action configuration."""
    unknown = set(config) - set(CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"Unknown trigger fields: {', '.join(sorted(unknown))}")
    trigger = InboundTrigger(workspace=workspace, created_by=created_by, **_normalized(config))
    _trigger_check(trigger)
    trigger.save()
    return trigger


@transaction.atomic
def trigger_update(*, trigger: InboundTrigger, **changes: Any) -> InboundTrigger:
    """Change a trigger's configuration; its URL stays the same."""
    unknown = set(changes) - set(CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"Unknown trigger fields: {', '.join(sorted(unknown))}")
    trigger = InboundTrigger.objects.select_for_update().get(pk=trigger.pk)
    changes = _normalized(changes)
    if "resource" in changes and "action" not in changes:
        changes["action"] = ACTION_FOR_RESOURCE.get(changes["resource"], "")
    for field, value in changes.items():
        setattr(trigger, field, value)
    _trigger_check(trigger)
    trigger.updated_at = timezone.now()
    trigger.save()
    return trigger


@transaction.atomic
def trigger_url_regenerate(*, trigger: InboundTrigger) -> InboundTrigger:
    """Give the trigger a new URL; the old one answers 404 from now on."""
    trigger = InboundTrigger.objects.select_for_update().get(pk=trigger.pk)
    trigger.url_version += 1
    trigger.updated_at = timezone.now()
    trigger.save(update_fields=["url_version", "updated_at"])
    return trigger


def trigger_delete(*, trigger: InboundTrigger) -> None:
    """Delete a trigger and its receipts; its URL answers 404 from now on."""
    trigger.delete()


def receipt_record(
    *,
    trigger: InboundTrigger,
    http_status: int,
    body: bytes,
    error_type: str = "",
    error: str = "",
    result: dict[str, Any] | None = None,
    rules: list[dict[str, Any]] | None = None,
    payload: Any = None,
    rerun_of: InboundReceipt | None = None,
    replay: bool = False,
    spam: bool = False,
) -> InboundReceipt:
    """Log one POST to a trigger with the first 4 KB of its body, and what its rules did."""
    status = InboundReceipt.Status.ACCEPTED if http_status < 400 else InboundReceipt.Status.REJECTED
    metrics.count(metrics.INBOUND_RECEIPTS, status=status.value, http_status=str(http_status))
    return InboundReceipt.objects.create(
        workspace_id=trigger.workspace_id,
        trigger=trigger,
        status=status,
        http_status=http_status,
        error_type=error_type,
        error=storable_text(error),
        payload_excerpt=storable_text(body[:EXCERPT_BYTES].decode("utf-8", errors="replace")),
        result=json.loads(json.dumps(result or {}, default=str)),
        rules=json.loads(json.dumps(rules or [], default=str)),
        payload=json.loads(json.dumps(payload, default=str)) if payload is not None else None,
        rerun_of=rerun_of,
        is_replay=replay,
        is_spam=spam,
    )


def receipts_prune(*, now: datetime | None = None) -> int:
    """Delete receipts older than OMNIFLOW_RETENTION_DAYS, in small batches."""
    kept_since = (now or timezone.now()) - timedelta(days=retention_days())
    return delete_in_batches(InboundReceipt.objects.filter(received_at__lt=kept_since))


@transaction.atomic
def inbound_rule_move(*, trigger: InboundTrigger, rule, offset: int) -> None:
    """Move one of the trigger's rules `offset` places in their order; number them 0, 1, …"""
    from inbox.models import RoutingRule

    from .rules import inbound_rules_for

    rules = list(
        inbound_rules_for(trigger=trigger, active_only=False).select_for_update(of=("self",))
    )
    index = next(position for position, item in enumerate(rules) if item.pk == rule.pk)
    target = min(max(index + offset, 0), len(rules) - 1)
    rules.insert(target, rules.pop(index))
    for position, item in enumerate(rules):
        item.position = position
    RoutingRule.objects.bulk_update(rules, ["position"])
