"""The Settings banner of endpoints the engine disabled: `{% disabled_endpoints_banner %}`."""

from django import template

from ..selectors import endpoints_disabled

register = template.Library()


@register.inclusion_tag("webhooks/_disabled_endpoints_banner.html", takes_context=True)
def disabled_endpoints_banner(context) -> dict:
    """Return the disabled endpoints of the page's workspace (none outside a workspace)."""
    workspace = context.get("workspace")
    if workspace is None:
        return {"endpoints": []}
    return {"endpoints": endpoints_disabled(workspace=workspace)}
