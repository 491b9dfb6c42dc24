"""Endpoint secrets: generate, encrypt at rest, sign and verify bodies.

The sender recomputes the HMAC on every request, so a secret cannot be hashed; it is kept as a
Fernet token under OMNIFLOW_SECRETS_KEY and decrypted only to sign or on an explicit reveal.
"""

import secrets

from omniflow.crypto import (
    SecretUnavailable,
    body_signature,
    body_signature_valid,
    decrypt_secret,
    encrypt_secret,
)

SECRET_PREFIX = "whsec_"
__all__ = ["SecretUnavailable", "decrypt_secret", "encrypt_secret", "generate_secret"]


def generate_secret() -> str:
    """Return a new random endpoint secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def mask_secret(*, secret: str) -> str:
    """Return a display form that identifies a secret without revealing it."""
    if not secret:
        return ""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


# The engine's names for the shared body signature (omniflow.crypto).
sign = body_signature
verify = body_signature_valid
