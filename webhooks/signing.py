"""Endpoint secrets: generate them and show them masked.

Encrypting them at rest and signing bodies is `omniflow.crypto`'s, shared with inbound triggers.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """Return a new random endpoint secret: `whsec_` and 32 random bytes in standard base64.

    The Standard Webhooks form, so the consumer libraries (`standardwebhooks`, `svix`) take it
    as it is.
    """
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_key(*, secret: str) -> bytes:
    """Return the HMAC key of the `webhook-signature` header: the bytes the secret encodes.

    That is the base64 after `whsec_`, decoded. Secrets made before the standard form were
    URL-safe base64 without padding; they decode the same way after swapping the alphabet.
    A secret someone chose by hand that is not base64 signs with its UTF-8 bytes.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
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


def mask_secret(*, secret: str) -> str:
    """Return a display form that identifies a secret without revealing it."""
    if not secret:
        return ""
    return f"{SECRET_PREFIX}…{secret[-4:]}"
