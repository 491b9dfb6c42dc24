"""Signatures of inbound webhooks: the URL's (ours) and the body's (the sender's).

A trigger's shared secret must be read back to verify each body, so it cannot be hashed: it is
kept encrypted at rest by `omniflow.crypto`, as outbound endpoint secrets are.
"""

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
