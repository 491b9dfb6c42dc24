"""Shared secrets at rest and the body signature, for outbound and inbound webhooks alike.

Both sides recompute an HMAC on every request, so their secrets cannot be hashed: they are kept
as Fernet tokens under OMNIFLOW_SECRETS_KEY and decrypted only to sign, verify or reveal.
"""

import base64
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


def seal(*, data: bytes) -> str:
    """Return `data` encrypted under the secrets key (for records kept outside the database)."""
    return _current_fernet().encrypt(data).decode()


def unseal(*, token: str) -> bytes:
    """Return the data behind a `seal` token."""
    try:
        return _current_fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise SecretUnavailable("A sealed record cannot be decrypted with this key.") from exc
