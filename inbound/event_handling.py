"""Handling an inbound event: the trigger's action, then its rules, and the receipt of both.

The receiver (HTTP), the re-run of a receipt and the dry run all come through here, so that
what an admin tries is what a sender gets.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.http.multipartparser import MultiPartParserError

from omniflow.exceptions import DomainError
from omniflow.json_input import JSONInputError, json_loads

from .models import InboundReceipt, InboundTrigger
from .payloads import payload_errors
from .rules import DryRunRollback, inbound_rules_apply
from .services import receipt_record
from .trigger_actions import ActionRefused, action_run, actor_for_trigger

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


# As deep as a JSON Schema may nest (inbound.shapes): deeper is no form a person fills in.
MAX_FORM_NESTING = 32


def form_payload(*, fields: QueryDict, honeypot_field: str) -> tuple[dict[str, Any], bool]:
    """Map a form's fields by name into a payload; tell whether the honeypot was filled.

    A dotted name nests ("contact.email" → {"contact": {"email": …}}), so the trigger's paths
    read a form as they read JSON; a name given several times becomes a list. A name nesting
    deeper than MAX_FORM_NESTING is a ValueError (what reads the payload recurses per level).
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
        if len(segments) > MAX_FORM_NESTING:
            raise ValueError(
                f"the field name '{name[:40]}…' nests deeper than {MAX_FORM_NESTING} levels"
            )
        for segment in segments[:-1]:
            child = node.get(segment)
            if not isinstance(child, dict):
                child = node[segment] = {}
            node = child
        node[segments[-1]] = value
    return payload, spam


def is_form_post(*, trigger: InboundTrigger, content_type: str) -> bool:
    """Tell whether a POST is a website form's: form-encoded, to a contact trigger."""
    return (
        content_type in FORM_CONTENT_TYPES and trigger.resource == InboundTrigger.Resource.CONTACT
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_has_nul(item) for item in value)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def body_parse(
    *,
    trigger: InboundTrigger,
    body: bytes,
    content_type: str,
    encoding: str | None,
    form_fields: Callable[[], QueryDict],
) -> tuple[Any, bool] | Handled:
    """Return (payload, is spam) from a JSON or form body, or the refusal to answer (400/415)."""
    if is_form_post(trigger=trigger, content_type=content_type):
        try:
            payload, spam = form_payload(
                fields=form_fields(), honeypot_field=trigger.honeypot_field
            )
        except (MultiPartParserError, ValueError, UnicodeError) as error:
            return _refusal(
                400, "parse_error", "Malformed request body.", f"Form parse error - {error}"
            )
        if _has_nul(payload):
            # No database text can hold a NUL: refused here as in JSON bodies.
            return _refusal(
                400, "parse_error", "Malformed request body.", "Form parse error - a NUL character"
            )
        return payload, spam
    if not _is_json(content_type):
        accepted = "application/json" + (
            ", application/x-www-form-urlencoded or multipart/form-data"
            if trigger.resource == InboundTrigger.Resource.CONTACT
            else ""
        )
        return _refusal(
            415,
            "unsupported_media_type",
            "Unsupported media type.",
            f"Send {accepted}, not '{content_type}'.",
        )
    try:
        return json_loads(body.decode(encoding or "utf-8")), False
    except (JSONInputError, UnicodeError, LookupError) as error:
        where = f" (at {error.path})" if getattr(error, "path", "") else ""
        return _refusal(
            400, "parse_error", "Malformed request body.", f"JSON parse error - {error}{where}"
        )


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
    except DomainError as error:
        # E.g. the inbox services' Conflict: an email and an external id of two contacts.
        return _refusal(409, error.type_, error.title, error.detail)
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
    if receipt.payload is None:
        raise ValidationError({"receipt": "This receipt kept no payload to run again."})
    trigger = InboundTrigger.objects.select_related("workspace").get(pk=receipt.trigger_id)
    body = json.dumps(receipt.payload).encode()
    return event_handle(trigger=trigger, payload=receipt.payload, body=body, rerun_of=receipt)


def spam_record(*, trigger: InboundTrigger, body: bytes, http_status: int) -> InboundReceipt:
    """Leave the receipt of a post whose honeypot was filled; nothing else happens."""
    return receipt_record(trigger=trigger, http_status=http_status, body=body, spam=True)
