"""Signatures of inbound webhooks: the URL's (ours) and the body's (the sender's)."""

import base64
import hashlib
import hmac

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
