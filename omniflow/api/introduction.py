"""The API reference's introduction, one section per topic (Redoc lists them in its menu),
and request samples (curl, Python) on every operation, added by postprocessing hooks of
drf-spectacular (`SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`); Redoc shows `x-codeSamples`."""

import json
from typing import Any

INTRODUCTION = """\
Omniflow's public REST API: conversations, contacts, tickets, scorecards, agents, training and
webhooks, under `/api/v1/`. Every request and answer is JSON.

# Authentication

Create an API key in **Settings → API Keys** (workspace admins) and send it on every request:

    Authorization: Bearer omf_live_…

A key belongs to one workspace and sees only its data. It carries **scopes**
(`tickets:read`, `tickets:write`, …, or full access); a request outside them gets `403`. A
missing, wrong, revoked or expired key gets `401`. The key is shown once when it is created;
Omniflow keeps only a hash of it. Roll a key to replace it with a grace period for the old one.

# Rate limits

Each key has a tier (`default`: 60 requests a minute; `burstable`: 120 a minute and 1,000 an
hour; or custom limits). Every answer says where the key stands, in the IETF headers:

    RateLimit-Limit: 120
    RateLimit-Remaining: 37
    RateLimit-Reset: 21

Over a limit the answer is `429` with `Retry-After` (seconds): wait that long, then retry.
Requests without a valid key are limited per client address.

# Errors

Every error is a problem document (RFC 9457), `application/problem+json`:

    {"type": "validation_error", "title": "Invalid input.", "status": 400,
     "detail": "…", "errors": {"subject": ["This field is required."]}}

`type` is stable: branch on it, not on `title` or `detail`. `errors` lists messages per input
field (validation errors only). Each operation lists the error answers it can give.

# Idempotency

Send `Idempotency-Key: <a unique string>` with a `POST` to make it safe to retry: within 24
hours the same key with the same request gets the first answer again, with
`Idempotent-Replayed: true`, and nothing is done twice. The same key with another request gets
`409 idempotency_key_reused`; a retry while the first is still running gets
`409 idempotency_key_in_use` (retry a little later).

# Pagination

Lists are cursor-paginated: follow `next` until it is `null`.
"""


def add_introduction(result: dict[str, Any], **_kwargs) -> dict[str, Any]:
    """Put the introduction's sections first in the document's description."""
    result["info"]["description"] = INTRODUCTION + result["info"].get("description", "")
    return result


_PLACEHOLDERS = {"string": "text", "integer": 1, "number": 1.5, "boolean": True}


def _example_body(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """Return a small example for a request schema: its required fields with typed values."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((item for item in kind if item != "null"), None) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        if depth > 2:
            return {}
        required = schema.get("required") or list(schema.get("properties", {}))[:2]
        return {
            name: _example_body(schema["properties"][name], components, depth + 1)
            for name in required
            if name in schema.get("properties", {})
        }
    if kind == "array":
        return [_example_body(schema.get("items", {}), components, depth + 1)]
    for option in schema.get("oneOf", []) + schema.get("allOf", []) + schema.get("anyOf", []):
        return _example_body(option, components, depth + 1)
    return _PLACEHOLDERS.get(kind, "value")


def _samples(path: str, method: str, body: Any | None) -> list[dict[str, str]]:
    url = "https://omniflow.example.com" + path
    curl = [f"curl -X {method.upper()} '{url}'", '  -H "Authorization: Bearer $OMNIFLOW_API_KEY"']
    python = ["import os", "", "import requests", "", ""]
    call = f'response = requests.{method}(\n    "{url}",\n'
    call += '    headers={"Authorization": f"Bearer {os.environ[\'OMNIFLOW_API_KEY\']}"},\n'
    if body is not None:
        text = json.dumps(body, ensure_ascii=False)
        curl += ['  -H "Content-Type: application/json"', f"  -d '{text}'"]
        if method == "post":
            curl.insert(2, '  -H "Idempotency-Key: $(uuidgen)"')
        call += f"    json={json.dumps(body, ensure_ascii=False)},\n"
    call += "    timeout=10,\n)\nresponse.raise_for_status()\nprint(response.json())"
    return [
        {"lang": "Shell", "label": "curl", "source": " \\\n".join(curl)},
        {"lang": "Python", "label": "Python", "source": "\n".join(python) + call},
    ]


def add_code_samples(result: dict[str, Any], **_kwargs) -> dict[str, Any]:
    """Give every operation a curl and a Python request sample (`x-codeSamples`)."""
    components = result.get("components", {}).get("schemas", {})
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _example_body(content["application/json"].get("schema", {}), components)
            operation["x-codeSamples"] = _samples(path, method, body)
    return result
