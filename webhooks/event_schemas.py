"""The event catalogue as a contract: a JSON Schema per event type, from the serializers that
build the payloads.

The app that emits an event type registers the serializer of its whole body (envelope and
`data`, see inbox/webhook_contract.py); drf-spectacular, which documents the API from the same
kind of serializers, turns it into a JSON Schema (OpenAPI 3.1 schemas are JSON Schema 2020-12).
So the schema cannot drift from the payload: both come from one serializer. The schemas appear
in `GET /webhook-event-types`, in the OpenAPI document's `webhooks` section and in the API
reference built from it.
"""

from copy import deepcopy
from functools import cache
from typing import Any

from drf_spectacular.utils import OpenApiWebhook
from rest_framework import serializers

from omniflow.vendor_adapters.spectacular import serializer_schema

from .events import CATALOGUE

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_BODY_SERIALIZERS: dict[str, type[serializers.Serializer]] = {}


def event_body_serializer_register(
    *, event_type: str, serializer: type[serializers.Serializer]
) -> None:
    """Register the serializer that describes the whole body of `event_type`'s events."""
    if event_type not in CATALOGUE:
        raise ValueError(f"Unknown event type '{event_type}'.")
    _BODY_SERIALIZERS[event_type] = serializer


def _without_internal_keys(schema: Any) -> Any:
    """Drop drf-spectacular's working annotations (`x-spec-enum-id`), as its own output does."""
    if isinstance(schema, dict):
        return {k: _without_internal_keys(v) for k, v in schema.items() if k != "x-spec-enum-id"}
    if isinstance(schema, list):
        return [_without_internal_keys(item) for item in schema]
    return schema


def _inlined(schema: Any, components: dict[str, Any]) -> Any:
    """Return `schema` with every `#/components/schemas/…` reference replaced by its target."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            target = _inlined(deepcopy(components[ref.rsplit("/", 1)[1]]), components)
            rest = {key: value for key, value in schema.items() if key != "$ref"}
            return {**target, **_inlined(rest, components)}
        return {key: _inlined(value, components) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inlined(item, components) for item in schema]
    return schema


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    missing = sorted(set(CATALOGUE) - set(_BODY_SERIALIZERS))
    assert not missing, f"No body serializer registered for {missing}."
    result = {}
    for event_type in CATALOGUE:
        # "response": what the consumer receives; every field is there, as in API answers.
        ref, components = serializer_schema(_BODY_SERIALIZERS[event_type], direction="response")
        schema = _without_internal_keys(_inlined(deepcopy(ref), components))
        previous = schema.get("properties", {}).get("previous_attributes")
        if previous is not None:
            # Only the fields that changed are there: none is required.
            previous.pop("required", None)
        result[event_type] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "title": f"{event_type} event",
            **schema,
        }
    return result


def event_schema(*, event_type: str) -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of the body of `event_type`'s events."""
    return deepcopy(_schemas()[event_type])


# The reference's section on webhooks, after the introduction's (omniflow/api/introduction.py);
# each event's entry links here instead of repeating the verifiers.
WEBHOOKS_SECTION = "Webhooks-and-verifying-them"
_VERIFYING = """
# Webhooks and verifying them

Add an endpoint in **Settings → Webhooks** (or `POST /api/v1/webhook-endpoints`) and choose
its events; each event is POSTed to it as JSON, listed under **Webhooks** in this reference by
event name, with its schema and an example. Answer with any `2xx` within 10 seconds; anything
else is retried with backoff for 24 hours, and every attempt is in the deliveries log.

Every request is signed:

- `X-Omniflow-Signature` = base64(HMAC-SHA256(key = the whole secret string, body)).
- The Standard Webhooks headers `webhook-id` (the event id: your dedupe key, the same on
  every retry and replay), `webhook-timestamp` and `webhook-signature` = `v1,` +
  base64(HMAC-SHA256(key = the base64-decoded part after `whsec_`, `{id}.{timestamp}.{body}`)).
- During a secret rotation also `X-Omniflow-Signature-Previous`, and two `v1,` values.

Verify over the exact bytes received, in constant time, and refuse timestamps more than 5
minutes off. These verifiers do (the same as in the README):

"""


def verifiers_markdown() -> str:
    """Return the shipped verifiers as Markdown code blocks (for the API reference)."""
    from .verifier_snippets import verifier_source

    return "\n".join(
        f"```{language}\n{verifier_source(name)}```\n"
        for name, language in (("verify.sh", "sh"), ("verify.py", "python"), ("verify.js", "js"))
    )


class _OpenApiWebhooks:
    """The `WEBHOOKS` setting of drf-spectacular, built when the document is: by then every
    app has registered its serializers."""

    def __iter__(self):
        from .payloads import example_body

        for event_type, entry in CATALOGUE.items():
            schema = event_schema(event_type=event_type)
            schema.pop("$schema")
            yield OpenApiWebhook(
                name=event_type,
                decorator={
                    "post": {
                        "summary": event_type,
                        "description": f"{entry.description} Signed as "
                        f"[Webhooks and verifying them](#section/{WEBHOOKS_SECTION}) says.",
                        "requestBody": {
                            "content": {
                                "application/json": {
                                    "schema": schema,
                                    "example": example_body(event_type=event_type),
                                }
                            }
                        },
                        "responses": {"2XX": {"description": "Received; any 2xx counts."}},
                    }
                },
            )


OPENAPI_WEBHOOKS = _OpenApiWebhooks()


def add_webhooks_introduction(result: dict[str, Any], **_kwargs) -> dict[str, Any]:
    """Add the webhooks section, with the verifiers (once), to the reference's introduction."""
    result["info"]["description"] = (
        result["info"].get("description", "") + _VERIFYING + verifiers_markdown()
    )
    return result
