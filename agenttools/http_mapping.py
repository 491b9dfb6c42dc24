"""From a tool definition and arguments to the HTTP request; from the answer to what the model
reads.

A definition is the dict `snapshots.tool_definition` returns: the one an agent version keeps,
or the live tool's for "Try it". Secrets are not in it; the caller passes the decrypted one.
"""

import json
import re
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from omniflow.crypto import body_signature, request_signature, standard_signature

from .transport import ToolRequest, ToolResponse

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
METHODS_WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")
USER_AGENT = "Omniflow-Agent-Tools/1.0"
TRUNCATION_MARKER = "\n…[truncated: the response was longer than {cap} bytes]"
SIGNATURE_HEADER = "X-Omniflow-Signature"
REQUEST_SIGNATURE_HEADER = "X-Omniflow-Request-Signature"


class ArgumentsUnusable(ValueError):
    """The arguments match the schema but cannot fill the URL (e.g. a path value missing)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def url_placeholders(template: str) -> list[str]:
    """Return the argument names a URL template fills in, in order."""
    return PLACEHOLDER.findall(template)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# What a server (or a proxy) would turn into another path: "." and ".." are dot-segments (RFC
# 3986 5.2.4), an empty segment merges with its neighbour (nginx's merge_slashes), and "/" or
# "\" even percent-encoded splits the segment (nginx, Django's WSGI servers, IIS decode %2F and
# %5C first). So `/customers/{id}/orders` with id=".." or "../x" would reach another resource.
_DOT_OR_EMPTY = frozenset({"", ".", ".."})
_SEPARATORS = ("/", "\\")
_SEGMENT_RULE = (
    "Fills a path segment: it may not be empty, '.' or '..', nor hold '/' or '\\' (a server "
    "would change the path's shape)."
)


def _segment_errors(template: str, arguments: dict[str, Any]) -> dict[str, list[str]]:
    path_end = min((template.find(mark) for mark in "?#" if mark in template), default=None)
    errors: dict[str, list[str]] = {}
    for segment in template[:path_end].split("/"):
        names = url_placeholders(segment)
        if not names:
            continue
        values = {name: _text(arguments[name]) for name in names}
        whole = PLACEHOLDER.sub(lambda m, values=values: values[m.group(1)], segment)
        for name, value in values.items():
            if whole in _DOT_OR_EMPTY or any(mark in value for mark in _SEPARATORS):
                errors.setdefault(name, []).append(_SEGMENT_RULE)
    return errors


def _filled_url(template: str, arguments: dict[str, Any]) -> str:
    missing = [name for name in url_placeholders(template) if arguments.get(name) is None]
    if missing:
        raise ArgumentsUnusable({name: ["Required: the URL needs it."] for name in missing})

    # Values that would change the path's shape are refused; every other character that could
    # change the URL's structure is escaped ("?", "#", "%", …), so nor can they change the host.
    errors = _segment_errors(template, arguments)
    if errors:
        raise ArgumentsUnusable(errors)
    return PLACEHOLDER.sub(lambda m: quote(_text(arguments[m.group(1)]), safe=""), template)


def _query(names: list[str], arguments: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name in names:
        value = arguments.get(name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        pairs.extend((name, _text(item)) for item in values)
    return pairs


def _body(definition: dict[str, Any], arguments: dict[str, Any]) -> bytes | None:
    if definition["method"] not in METHODS_WITH_BODY:
        return None
    if definition["body_argument"]:
        if definition["body_argument"] not in arguments:
            return None
        document = arguments[definition["body_argument"]]
    elif definition["body_arguments"]:
        document = {k: arguments[k] for k in definition["body_arguments"] if k in arguments}
    else:
        return None
    return json.dumps(document, separators=(",", ":")).encode()


def request_build(
    *, definition: dict[str, Any], arguments: dict[str, Any], secret: str
) -> ToolRequest:
    """Return the HTTP request a call with these (already validated) arguments sends."""
    url = _filled_url(definition["url_template"], arguments)
    pairs = _query(definition["query_arguments"], arguments)
    if pairs:
        url += ("&" if urlsplit(url).query else "?") + urlencode(pairs)
    body = _body(definition, arguments)
    # Every header is set here (none left for aiohttp to add), so what is shown is what is sent.
    headers = {
        "Host": urlsplit(url).netloc,
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "gzip, deflate",
        "Accept": "application/json, text/plain;q=0.9, */*;q=0.5",
        **definition["headers"],
        "X-Omniflow-Tool": definition["name"],
    }
    if body is not None:
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(body))
    auth = definition["auth"]
    if auth == "bearer":
        headers["Authorization"] = f"Bearer {secret}"
    elif auth == "header":
        headers[definition["auth_header_name"]] = secret
    elif auth == "signature":
        headers.update(
            _signed_headers(secret=secret, method=definition["method"], url=url, body=body or b"")
        )
    return ToolRequest(method=definition["method"], url=url, headers=headers, body=body)


def _signed_headers(*, secret: str, method: str, url: str, body: bytes) -> dict[str, str]:
    """Sign a call as webhooks are signed (README "Signed agent tool calls").

    Standard Webhooks headers over id.timestamp.body, which any standard verifier checks; the
    method and URL are signed in X-Omniflow-Request-Signature, so a signed request cannot be
    sent again to another URL or with another method; one Unix timestamp for all of them. An
    empty body (a GET) is signed as zero bytes.
    """
    message_id = "call_" + secrets.token_urlsafe(16)
    timestamp = int(time.time())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
        REQUEST_SIGNATURE_HEADER: request_signature(
            secret=secret,
            message_id=message_id,
            timestamp=timestamp,
            method=method,
            url=url,
            body=body,
        ),
        "X-Omniflow-Timestamp": str(timestamp),
        SIGNATURE_HEADER: body_signature(secret=secret, body=body),
    }


def _masked(value: str) -> str:
    return f"…{value[-4:]}" if len(value) > 8 else "…"


def request_shown(*, request: ToolRequest, definition: dict[str, Any]) -> dict[str, Any]:
    """Return the request as sent, for people and the call log: secrets masked."""
    headers = dict(request.headers)
    if definition["auth"] == "bearer":
        headers["Authorization"] = "Bearer " + _masked(headers["Authorization"][7:])
    elif definition["auth"] == "header":
        name = definition["auth_header_name"]
        headers[name] = _masked(headers[name])
    return {
        "method": request.method,
        "url": request.url,
        "headers": headers,
        "body": request.body.decode("utf-8", errors="replace") if request.body else "",
    }


def response_body(*, response: ToolResponse, cap: int) -> tuple[str, Any]:
    """Return the answer's content type and body for the model: JSON parsed, else text.

    A body cut at the size cap is text ending in a marker that says so, never half a JSON.
    """
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    text = response.body.decode("utf-8", errors="replace")
    if response.truncated:
        return content_type, text + TRUNCATION_MARKER.format(cap=cap)
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return content_type, json.loads(text)
        except ValueError:
            pass
    return content_type, text
