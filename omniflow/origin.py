"""The origin a URL sends to: what a stored secret is bound to."""

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def url_origin(url: str) -> tuple[str, str, int | None]:
    """Return (scheme, host, port) of `url`, normalised (case, default port)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower().rstrip("."), port or DEFAULT_PORTS.get(scheme)


def origin_label(url: str) -> str:
    """Return the origin of `url` as people read it: https://api.example.com:8443."""
    scheme, host, port = url_origin(url)
    shown_port = "" if port == DEFAULT_PORTS.get(scheme) else f":{port}"
    return f"{scheme}://{host}{shown_port}"
