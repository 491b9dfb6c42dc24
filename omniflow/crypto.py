"""Shared secrets at rest and the body signature, for outbound and inbound webhooks alike.

Both sides recompute an HMAC on every request, so their secrets cannot be hashed: they are kept
as Fernet tokens under OMNIFLOW_SECRETS_KEY and decrypted only to sign, verify or reveal.
"""

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnavailable(RuntimeError):
    """A stored secret cannot be decrypted with the configured key."""


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def _current_fernet() -> Fernet:
    key = settings.OMNIFLOW_SECRETS_KEY
    if not key:
        # The embedded default (`make run`) has no key configured: derive one from SECRET_KEY
        # so secrets still are not stored in clear; production sets OMNIFLOW_SECRETS_KEY.
        digest = hashlib.sha256(f"omniflow-webhook-secrets:{settings.SECRET_KEY}".encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    return _fernet(key)


def encrypt_secret(*, secret: str) -> str:
    """Return the at-rest form of `secret` ('' for no secret)."""
    return _current_fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt_secret(*, token: str) -> str:
    """Return the secret behind an at-rest token ('' for no secret)."""
    if not token:
        return ""
    try:
        return _current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnavailable("A stored secret cannot be decrypted with this key.") from exc


def body_signature(*, secret: str, body: bytes) -> str:
    """Return base64(HMAC-SHA256(secret, body)), the X-Omniflow-Signature value."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def body_signature_valid(*, secret: str, body: bytes, signature: str) -> bool:
    """Tell whether `signature` is the signature of `body` under `secret`, in constant time."""
    signature = signature.strip()
    # compare_digest raises on non-ASCII text; such a header is simply not the signature.
    return signature.isascii() and hmac.compare_digest(
        body_signature(secret=secret, body=body), signature
    )


STANDARD_SECRET_PREFIX = "whsec_"


def standard_key(*, secret: str) -> bytes:
    """Return the HMAC key of Standard Webhooks signatures: the bytes the secret encodes.

    That is the base64 after `whsec_`, decoded. Webhook secrets made before the standard form
    were URL-safe base64 without padding; they decode the same way after swapping the alphabet.
    A secret someone chose by hand that is not base64 signs with its UTF-8 bytes.
    """
    encoded = secret.removeprefix(STANDARD_SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return secret.encode()


def standard_signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Return `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, one signature of
    the `webhook-signature` header (Standard Webhooks)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret=secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def request_signature(
    *, secret: str, message_id: str, timestamp: int, method: str, url: str, body: bytes
) -> str:
    """Return `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{METHOD}.{URL}.{body}")>`, the
    `X-Omniflow-Request-Signature` of agent tool calls: what `webhook-signature` signs, with
    the method and the URL as sent, so a signed GET cannot be replayed to another URL."""
    signed = f"{message_id}.{timestamp}.{method.upper()}.{url}.".encode() + body
    digest = hmac.new(standard_key(secret=secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def seal(*, data: bytes) -> str:
    """Return `data` encrypted under the secrets key (for records kept outside the database)."""
    return _current_fernet().encrypt(data).decode()


def unseal(*, token: str) -> bytes:
    """Return the data behind a `seal` token."""
    try:
        return _current_fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise SecretUnavailable("A sealed record cannot be decrypted with this key.") from exc
