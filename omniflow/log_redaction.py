"""Credentials out of logs: API keys, tokens and inbound trigger URL signatures are redacted.

Used by Django's logging (a filter on every handler: `django.request` logs the path of each 4xx
and 5xx, and a trigger's path is its credential) and by the gunicorn access log
(`gunicorn.conf.py`). Free of Django imports, because gunicorn loads it before Django starts.
"""

import logging
import re

REDACTED = "[redacted]"

_PATTERNS = (
    # A trigger's URL: the signature after the public id is the credential.
    (re.compile(r"(/hooks/inbound/[^/\s?\"']+/)[^/\s?\"']+"), rf"\g<1>{REDACTED}"),
    # A member invitation's link: the token is the credential ("accept" holds none).
    (re.compile(r"(/settings/invitations/)(?!accept/)[^/\s?\"']+"), rf"\g<1>{REDACTED}"),
    # Keys and tokens in a query string, e.g. ?api_key=… or &access_token=….
    (
        re.compile(
            r"([?&;](?:api[_-]?key|key|token|access[_-]?token|auth|password|secret|signature)"
            r"=)[^&;\s\"']*",
            re.IGNORECASE,
        ),
        rf"\g<1>{REDACTED}",
    ),
    # Our own key format wherever it appears (a header echoed in a message, a pasted URL).
    (re.compile(r"omf_(live|test)_[A-Za-z0-9_-]+"), rf"omf_\g<1>_{REDACTED}"),
    # Authorization header values.
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\g<1> {REDACTED}"),
)


def redact(text: str) -> str:
    """Return `text` with every credential it carries replaced by "[redacted]"."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactCredentialsFilter(logging.Filter):
    """Redact credentials from a log record's message (formatted once, here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
