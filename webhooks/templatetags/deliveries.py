"""How the Settings pages show deliveries' values: URLs without their scheme in narrow cells."""

from django import template

register = template.Library()


@register.filter
def without_scheme(url: str) -> str:
    """Return the URL without its "https://" (the cell's title keeps the whole URL)."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return url[len(scheme) :]
    return url
