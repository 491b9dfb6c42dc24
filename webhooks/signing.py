"""Endpoint secrets: generate them and show them masked.

Encrypting them at rest and signing bodies is `omniflow.crypto`'s, shared with inbound triggers.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets

SECRET_PREFIX = "whsec_"
# The secrets the Standard Webhooks libraries (`standardwebhooks`, `svix`) take: `whsec_` and
# standard base64 of 24 to 64 bytes (8 to 21 groups of 4 characters, then at most one padded
# group; 21 full groups take only one more byte).
_B64 = "[A-Za-z0-9+/]"
STANDARD_SECRET_PATTERN = (
    rf"^{SECRET_PREFIX}(?:(?:{_B64}{{4}}){{8,20}}(?:{_B64}{{2}}==|{_B64}{{3}}=)?"
    rf"|(?:{_B64}{{4}}){{21}}(?:{_B64}{{2}}==)?)$"
)
STANDARD_SECRET_RULE = (
    "Use `whsec_` followed by the standard base64 of 24 to 64 random bytes (what the Standard "
    "Webhooks libraries take), or leave the secret out to have one generated."
)


def generate_secret() -> str:
    """Return a new random endpoint secret: `whsec_` and 32 random bytes in standard base64.

    The Standard Webhooks form, so the consumer libraries (`standardwebhooks`, `svix`) take it
    as it is.
    """
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_is_standard(*, secret: str) -> bool:
    """Tell whether a secret is in the form the Standard Webhooks libraries take."""
    return re.fullmatch(STANDARD_SECRET_PATTERN, secret) is not None


def secret_rotation_advised(*, secret: str) -> bool:
    """Tell whether a secret (set before the rule, by hand) should be rotated: it still signs
    `X-Omniflow-Signature`, but `webhook-signature` under it is not one the Standard Webhooks
    libraries can check."""
    return bool(secret) and not secret_is_standard(secret=secret)


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
