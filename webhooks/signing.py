"""Endpoint secrets: generate them and show them masked.

Encrypting them at rest and signing bodies is `omniflow.crypto`'s, shared with inbound triggers.
"""

import base64
import re
import secrets

# Shared with agent tools' signed calls; imported here for the webhook code that uses them.
from omniflow.crypto import standard_key, standard_signature  # noqa: F401

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


def mask_secret(*, secret: str) -> str:
    """Return a display form that identifies a secret without revealing it."""
    if not secret:
        return ""
    return f"{SECRET_PREFIX}…{secret[-4:]}"
