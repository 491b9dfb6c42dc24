"""Signatures of inbound webhooks: the URL's (ours) and the body's (the sender's).

A trigger's shared secret must be read back to verify each body, so it cannot be hashed: it is
kept as a Fernet token under OMNIFLOW_SECRETS_KEY, as outbound endpoint secrets are.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SIGNATURE_HEADER = "HTTP_X_OMNIFLOW_SIGNATURE"
_URL_SALT = "omniflow.inbound.trigger-url"


def url_signature(*, trigger) -> str:
    """Return the URL signature of a trigger: an HMAC of its public id and URL version."""
    # Keyed with SECRET_KEY, so a URL can be neither forged nor enumerated from public ids;
    # the version lets "Regenerate URL" void the old one.
    value = f"{trigger.public_id}:{trigger.url_version}"
    return salted_hmac(_URL_SALT, value, algorithm="sha256").hexdigest()[:32]


def url_signature_valid(*, trigger, signature: str) -> bool:
    """Tell whether a URL's signature is the trigger's current one, in constant time."""
    return constant_time_compare(url_signature(trigger=trigger), signature)


def body_signature(*, secret: str, body: bytes) -> str:
    """Return base64(HMAC-SHA256(secret, body)), the scheme of outbound webhooks too."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def body_signature_valid(*, secret: str, body: bytes, signature: str) -> bool:
    """Tell whether the sender signed this body with the secret, in constant time."""
    return hmac.compare_digest(body_signature(secret=secret, body=body), signature.strip())


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def _current_fernet() -> Fernet:
    key = settings.OMNIFLOW_SECRETS_KEY
    if not key:
        # The embedded default has no key configured: derive one from SECRET_KEY so secrets
        # still are not stored in clear; production sets OMNIFLOW_SECRETS_KEY.
        digest = hashlib.sha256(f"omniflow-inbound-secrets:{settings.SECRET_KEY}".encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    return _fernet(key)


def encrypt_secret(*, secret: str) -> str:
    """Return the at-rest form of a trigger's secret ('' for none)."""
    return _current_fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt_secret(*, token: str) -> str:
    """Return the secret behind an at-rest token ('' for none)."""
    return _current_fernet().decrypt(token.encode()).decode() if token else ""
