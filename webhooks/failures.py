"""Human failure reasons: what a person can act on, read from an attempt's recorded error.

The raw error (library text such as `ClientConnectorError: Cannot connect to host …`) stays
in the attempt and is shown behind a disclosure; this module only names the kind of failure.
"""

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class FailureReason:
    code: str  # stable, for styling and the API: "connection_refused", "dns", …
    label: str  # short, for a log row: "Connection refused"
    advice: str  # one sentence on what to check


_REASONS = {
    reason.code: reason
    for reason in [
        FailureReason("timeout", "Timed out", "The endpoint did not answer in time."),
        FailureReason(
            "dns", "DNS failure", "The URL's host name does not resolve; check its spelling."
        ),
        FailureReason(
            "tls",
            "TLS error",
            "The HTTPS handshake failed: check the endpoint's certificate and its chain.",
        ),
        FailureReason(
            "connection_refused",
            "Connection refused",
            "Nothing accepts connections at that host and port; is the server running?",
        ),
        FailureReason(
            "connection_failed",
            "Could not connect",
            "The endpoint's host could not be reached.",
        ),
        FailureReason(
            "connection_closed",
            "Connection closed",
            "The endpoint closed the connection before answering.",
        ),
        FailureReason(
            "response_too_large",
            "Response too large",
            "The endpoint's response headers or status line were too large to read.",
        ),
        FailureReason(
            "blocked_address",
            "Address not allowed",
            "The URL resolves to a private or internal address, which is never called.",
        ),
        FailureReason("redirect", "Redirected", "Redirects are not followed: use the final URL."),
        FailureReason("rate_limited", "Rate limited (429)", "The endpoint asked us to slow down."),
        FailureReason("client_error", "Rejected by the endpoint", "A 4xx answer is not retried."),
        FailureReason("server_error", "Server error", "The endpoint answered with a 5xx."),
        FailureReason(
            "endpoint_disabled", "Endpoint disabled", "Enable the endpoint, then replay."
        ),
        FailureReason(
            "secret_unavailable",
            "Secret unavailable",
            "The signing secret cannot be decrypted; rotate it, then replay.",
        ),
        FailureReason("other", "Other error", "See the raw error."),
    ]
}

# Checked in order: the first pattern found in the error text names the reason. More specific
# kinds come first (aiohttp's DNS and certificate errors are kinds of ClientConnectorError).
_PATTERNS = [
    ("timeout", r"^Timed out|TimeoutError|timed out"),
    ("blocked_address", r"^Refused: "),
    ("endpoint_disabled", r"endpoint is disabled"),
    ("secret_unavailable", r"secret cannot be decrypted"),
    (
        "dns",
        r"ClientConnectorDNSError|Name or service not known|nodename nor servname|"
        r"Temporary failure in name resolution|No address associated|Domain name not found",
    ),
    (
        "tls",
        r"Certificate|SSL|TLS|certificate verify failed|CERTIFICATE_VERIFY_FAILED",
    ),
    ("response_too_large", r"LineTooLong|Got more than|too long|too large|TooLarge"),
    ("connection_refused", r"Connection refused|Connect call failed|ConnectionRefusedError"),
    (
        "connection_closed",
        r"ServerDisconnectedError|Server disconnected|Connection reset|ConnectionResetError|"
        r"ClientPayloadError|ClientOSError",
    ),
    ("connection_failed", r"ClientConnectorError|Cannot connect to host|OSError|unreachable"),
]


def failure_reason(*, error: str, status_code: int | None) -> FailureReason | None:
    """Return why an attempt (or a delivery's last attempt) failed; None if it did not."""
    if status_code is not None:
        if 200 <= status_code < 300:
            return None
        if 300 <= status_code < 400:
            return _REASONS["redirect"]
        if status_code == 429:
            return _REASONS["rate_limited"]
        if 400 <= status_code < 500:
            return replace(
                _REASONS["client_error"], label=f"Rejected by the endpoint ({status_code})"
            )
        if status_code >= 500:
            return replace(_REASONS["server_error"], label=f"Server error ({status_code})")
    if not error:
        return None
    for code, pattern in _PATTERNS:
        if re.search(pattern, error):
            return _REASONS[code]
    return _REASONS["other"]
