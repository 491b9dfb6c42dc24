"""Where webhooks may be sent: public addresses only, checked on save and again at send time.

A host that resolves to a loopback, private, link-local (cloud metadata), multicast, reserved
or otherwise non-global address is refused unless OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS is set.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class UnsafeDestination(OSError):
    """The destination resolves to an address webhooks must not reach."""


def private_urls_allowed() -> bool:
    return bool(settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS)


def is_public_address(address: str) -> bool:
    """Tell whether an IP address is one webhooks may connect to."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def validate_url(url: str) -> None:
    """Raise ValueError when `url` cannot be a webhook destination."""
    parts = urlsplit(url)
    allow_private = private_urls_allowed()
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise ValueError("The URL must use https.")
    if not parts.hostname:
        raise ValueError("The URL has no host.")
    if parts.username or parts.password:
        raise ValueError("The URL must not contain credentials.")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("The URL has an invalid port.") from exc
    if allow_private:
        return
    literal = literal_address(parts.hostname)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            # A name that does not resolve yet is accepted; the send-time check still applies.
            return
        addresses = [info[4][0] for info in infos]
    if any(not is_public_address(address) for address in addresses):
        raise ValueError(
            "The URL's host resolves to a private, loopback, link-local or reserved address."
        )
