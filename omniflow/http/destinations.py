"""Where outbound requests may go: public addresses only, checked on save and at send time.

A host that resolves to a loopback, private, link-local (cloud metadata), multicast, reserved
or otherwise non-global address is refused unless OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS is set.
`ip.is_global` is not the whole story: IPv6 addresses that carry an IPv4 address (IPv4-mapped
and -compatible, NAT64) are judged by that address too, and 6to4, Teredo and site-local
addresses, which reach whatever a relay or the local network routes them to, are refused.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
REFUSED_NETWORKS = (
    ipaddress.ip_network("2002::/16"),  # 6to4: relayed to the IPv4 address inside
    ipaddress.ip_network("2001::/32"),  # Teredo: relayed to the (obfuscated) IPv4 client
    ipaddress.ip_network("fec0::/10"),  # site-local: deprecated, still routed by some networks
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64: translated inside the network
)
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(OSError):
    """The destination resolves to an address webhooks must not reach."""


def private_urls_allowed() -> bool:
    return bool(settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS)


def is_public_address(address: str) -> bool:
    """Tell whether an IP address is one webhooks may connect to."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in REFUSED_NETWORKS):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return _is_public(embedded)
    return _is_public(ip)


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip in METADATA_ADDRESSES:
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address reaches, if it carries one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64_NETWORK or (int(ip) >> 32 == 0 and int(ip) > 1):
        # NAT64 (64:ff9b::a.b.c.d) and the deprecated IPv4-compatible ::a.b.c.d (not ::, ::1).
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


INVALID_BRACKETED_HOST = "The host in brackets is not an IPv6 address."
# Where a host resolves is no rule of the URL's text: an API answers it 422, not 400.
PRIVATE_DESTINATION = (
    "The URL's host resolves to a private, loopback, link-local or reserved address."
)


def validate_url(url: str) -> None:
    """Raise ValueError when `url` cannot be a webhook destination."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a bracketed host that is no IPv6 address
        raise ValueError(INVALID_BRACKETED_HOST) from exc
    allow_private = private_urls_allowed()
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise ValueError(
            "The URL must use http or https." if allow_private else "The URL must use https."
        )
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
        raise ValueError(PRIVATE_DESTINATION)
