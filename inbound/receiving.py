"""Handling an inbound event: the trigger's action, then its rules, and the receipt of both.

The receiver (HTTP), the re-run of a receipt and the dry run all come through here, so that
what an admin tries is what a sender gets.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from rest_framework.exceptions import APIException

from .actions import ActionRefused, action_run, actor_for_trigger
from .models import InboundReceipt, InboundTrigger
from .payloads import payload_errors
from .rules import DryRunRollback, inbound_rules_apply
from .services import receipt_record

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Handled:
    """What handling one event came to: the answer's status and what to show."""

    status: int
    type_: str = ""
    title: str = ""
    detail: str = ""
    errors: dict | None = None
    result: dict[str, Any] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    receipt: InboundReceipt | None = None

    @property
    def ok(self) -> bool:
        return self.status < 400


def form_payload(*, fields: QueryDict, honeypot_field: str) -> tuple[dict[str, Any], bool]:
    """Map a form's fields by name into a payload; tell whether the honeypot was filled.

    A dotted name nests ("contact.email" → {"contact": {"email": …}}), so the trigger's paths
    read a form as they read JSON; a name given several times becomes a list.
    """
    payload: dict[str, Any] = {}
    spam = bool(honeypot_field and any(v.strip() for v in fields.getlist(honeypot_field)))
    for name in fields:
        if name == honeypot_field or name == "csrfmiddlewaretoken":
            continue
        values = fields.getlist(name)
        value: Any = values[0] if len(values) == 1 else values
        node = payload
        segments = name.split(".")
        for segment in segments[:-1]:
            child = node.get(segment)
            if not isinstance(child, dict):
                child = node[segment] = {}
            node = child
        node[segments[-1]] = value
    return payload, spam


def _refusal(status: int, type_: str, title: str, detail: str, errors=None) -> Handled:
    return Handled(status=status, type_=type_, title=title, detail=detail, errors=errors)


def _run(trigger: InboundTrigger, payload: Any) -> Handled:
    """Run the action and the rules in the caller's transaction, or say why not."""
    errors = payload_errors(schema=trigger.payload_schema, payload=payload)
    if errors:
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        return _refusal(
            422,
            "payload_invalid",
            "The payload does not match the declared shape.",
            detail,
            errors,
        )
    actor = actor_for_trigger(trigger)
    try:
        with transaction.atomic():
            result = action_run(trigger=trigger, payload=payload)
            rules = inbound_rules_apply(trigger=trigger, payload=payload, actor=actor)
    except ActionRefused as refused:
        errors = {refused.field: [refused.detail]} if refused.field else None
        return _refusal(422, refused.type_, "The action could not run.", refused.detail, errors)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else None
        return _refusal(
            422, "action_invalid", "The action could not run.", "; ".join(error.messages), errors
        )
    except APIException as error:
        # The inbox services' Conflict, e.g. an email and an external id of two contacts.
        return _refusal(error.status_code, error.default_code, "Conflict.", str(error.detail))
    return Handled(status=200, result=result, rules=rules)


@transaction.atomic
def event_handle(
    *,
    trigger: InboundTrigger,
    payload: Any,
    body: bytes,
    rerun_of: InboundReceipt | None = None,
    success_status: int = 200,
) -> Handled:
    """Run a valid event's action and rules and record its receipt, all in one transaction.

    `success_status` is what the sender gets when it worked: 303 for a browser redirected.
    """
    handled = _run(trigger, payload)
    if handled.ok:
        handled.status = success_status
    handled.receipt = receipt_record(
        trigger=trigger,
        http_status=handled.status,
        body=body,
        error_type=handled.type_,
        error=handled.detail,
        result=handled.result
        if handled.ok
        else ({"errors": handled.errors} if handled.errors else None),
        rules=handled.rules,
        payload=payload,
        rerun_of=rerun_of,
    )
    return handled


def event_dry_run(*, trigger: InboundTrigger, payload: Any) -> Handled:
    """Tell what a payload would do: the same code, in a transaction rolled back at its end.

    Nothing is written and no event is emitted (the outbox rows go with the rollback).
    """
    handled = Handled(status=500)
    try:
        with transaction.atomic():
            handled = _run(trigger, payload)
            raise DryRunRollback
    except DryRunRollback:
        pass
    return handled


def receipt_rerun(*, receipt: InboundReceipt) -> Handled:
    """Run a receipt's payload through the trigger's current action and rules, as a new receipt."""
    import json

    if receipt.payload is None:
        raise ValidationError({"receipt": "This receipt kept no payload to run again."})
    trigger = InboundTrigger.objects.select_related("workspace").get(pk=receipt.trigger_id)
    body = json.dumps(receipt.payload).encode()
    return event_handle(trigger=trigger, payload=receipt.payload, body=body, rerun_of=receipt)


def spam_record(*, trigger: InboundTrigger, body: bytes, http_status: int) -> InboundReceipt:
    """Leave the receipt of a post whose honeypot was filled; nothing else happens."""
    return receipt_record(trigger=trigger, http_status=http_status, body=body, spam=True)
