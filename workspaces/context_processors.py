from .access import SESSION_WORKSPACE_KEY
from .selectors import membership_current, memberships_for_user


def current_workspace(request) -> dict:
    """Expose the signed-in user's workspace and role to every template (for the nav)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = membership_current(
        user=user, workspace_id=request.session.get(SESSION_WORKSPACE_KEY)
    )
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "all_memberships": memberships_for_user(user=user),
    }


SETTINGS_SECTIONS = (
    ("Overview", "settings-home"),
    ("API Keys", "apikey-list"),
    ("Webhooks", "endpoint-list"),
    ("Deliveries", "delivery-list"),
    ("Inbound webhooks", "trigger-list"),
)


def settings_nav(request) -> dict:
    """List the Settings sections with their URLs (None for a section not installed)."""
    from django.urls import NoReverseMatch, reverse

    sections = []
    for label, url_name in SETTINGS_SECTIONS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = None
        active = url is not None and (
            request.path == url if url_name == "settings-home" else request.path.startswith(url)
        )
        sections.append({"label": label, "url": url, "active": active})
    return {"settings_sections": sections}
