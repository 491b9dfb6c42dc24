"""Endpoint secrets: generate them and show them masked.

Encrypting them at rest and signing bodies is `omniflow.crypto`'s, shared with inbound triggers.
"""

import secrets

# Transitional: webhooks/delivery.py still imports these three from here; import them from
# omniflow.crypto instead, then delete this line.
from omniflow.crypto import SecretUnavailable, decrypt_secret  # noqa: F401
from omniflow.crypto import body_signature as sign  # noqa: F401

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """Return a new random endpoint secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def mask_secret(*, secret: str) -> str:
    """Return a display form that identifies a secret without revealing it."""
    if not secret:
        return ""
    return f"{SECRET_PREFIX}…{secret[-4:]}"
