import base64
import hashlib
import hmac
import time

TOLERANCE_SECONDS = 5 * 60  # refuse requests signed longer ago (or ahead) than this


def _fresh(timestamp: str) -> bool:
    try:
        return abs(time.time() - int(timestamp)) <= TOLERANCE_SECONDS
    except (TypeError, ValueError):
        return False


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())  # constant time


def _signed(secret: str, content: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))  # the bytes after whsec_
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def verify_standard(secret: str, headers, body: bytes) -> bool:
    """webhook-signature (Standard Webhooks). `headers`: case-insensitive (Flask, Django)."""
    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not _fresh(timestamp):
        return False
    expected = _signed(secret, f"{msg_id}.{timestamp}.".encode() + body)
    return any(
        _same(signature.removeprefix("v1,"), expected)
        for signature in headers.get("webhook-signature", "").split()
        if signature.startswith("v1,")
    )


def verify_tool_call(secret: str, method: str, url: str, headers, body: bytes) -> bool:
    """An agent tool call: webhook-signature, and X-Omniflow-Request-Signature over
    "{id}.{timestamp}.{METHOD}.{URL}.{body}" (`url`: the full URL requested, query included)."""
    if not verify_standard(secret, headers, body):
        return False
    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    content = f"{msg_id}.{timestamp}.{method.upper()}.{url}.".encode() + body
    given = headers.get("X-Omniflow-Request-Signature", "")
    return given.startswith("v1,") and _same(given[3:], _signed(secret, content))


def verify_omniflow(secret: str, headers, body: bytes) -> bool:
    """X-Omniflow-Signature: HMAC-SHA256 of the raw body, keyed with the whole secret string."""
    if not _fresh(headers.get("X-Omniflow-Timestamp", "")):
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    candidates = ("X-Omniflow-Signature", "X-Omniflow-Signature-Previous")  # during a rotation
    return any(_same(headers.get(name, ""), expected) for name in candidates if headers.get(name))
