"""Endpoint secrets: generate, encrypt at rest, sign and verify bodies.

The sender recomputes the HMAC on every request, so a secret cannot be hashed; it is kept as a
Fernet token under OMNIFLOW_SECRETS_KEY and decrypted only to sign or on an explicit reveal.
"""

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_PREFIX = "whsec_"


class SecretUnavailable(RuntimeError):
    pass


def generate_secret() -> str:
    """Return a new random endpoint secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


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
    """Return the at-rest form of `secret`."""
    return _current_fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt_secret(*, token: str) -> str:
    """Return the secret behind an at-rest token ('' for no secret)."""
    if not token:
        return ""
    try:
        return _current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnavailable("The endpoint secret cannot be decrypted with this key.") from exc


def mask_secret(*, secret: str) -> str:
    """Return a display form that identifies a secret without revealing it."""
    if not secret:
        return ""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def sign(*, secret: str, body: bytes) -> str:
    """Return base64(HMAC-SHA256(secret, body)), the X-Omniflow-Signature value."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(*, secret: str, body: bytes, signature: str) -> bool:
    """Tell whether `signature` is the signature of `body` under `secret`."""
    return hmac.compare_digest(sign(secret=secret, body=body), signature)
