from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .access import SESSION_WORKSPACE_KEY
from .models import Membership
from .selectors import membership_current, memberships_for_user

_MEMBERSHIP_ATTRIBUTE = "_omniflow_current_membership"


def _membership(request) -> Membership | None:
    # Both processors need it: looked up once per request.
    if not hasattr(request, _MEMBERSHIP_ATTRIBUTE):
        setattr(
            request,
            _MEMBERSHIP_ATTRIBUTE,
            membership_current(
                user=request.user, workspace_id=request.session.get(SESSION_WORKSPACE_KEY)
            ),
        )
    return getattr(request, _MEMBERSHIP_ATTRIBUTE)


def current_workspace(request) -> dict:
    """Expose the signed-in user's workspace and role to every template (for the nav)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = _membership(request)
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "all_memberships": memberships_for_user(user=user),
    }


@dataclass(frozen=True)
class NavEntry:
    """One entry of the Settings navigation; a group has no URL of its own, only children."""

    label: str
    url_name: str | None = None
    admin_only: bool = False
    children: tuple["NavEntry", ...] = ()


# Named as the product page names the way there: Settings → Integrations → Webhooks → …
SETTINGS_NAV = (
    NavEntry("Overview", "workspaces:settings-home"),
    NavEntry(
        "Integrations",
        children=(
            NavEntry(
                "Webhooks",
                "webhooks:endpoint-list",
                children=(NavEntry("Deliveries log", "webhooks:delivery-list"),),
            ),
            NavEntry("Inbound webhooks", "inbound:trigger-list"),
            NavEntry("Agent tools", "agenttools:agenttool-list", admin_only=True),
        ),
    ),
    NavEntry("API Keys", "apikeys:apikey-list", admin_only=True),
    NavEntry("Members", "workspaces:member-list"),
)


def _nav_items(entries, *, path: str, is_admin: bool) -> list[dict]:
    items = []
    for entry in entries:
        if entry.admin_only and not is_admin:
            continue
        url = None
        if entry.url_name is not None:
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue  # an app this installation lacks
        children = _nav_items(entry.children, path=path, is_admin=is_admin)
        if url is None and not children:
            continue
        active = url is not None and (
            path == url if entry.url_name == "workspaces:settings-home" else path.startswith(url)
        )
        items.append({"label": entry.label, "url": url, "active": active, "children": children})
    return items


def _active_label(items: list[dict]) -> str | None:
    for item in items:
        if item["active"]:
            return item["label"]
        found = _active_label(item["children"])
        if found:
            return found
    return None


def settings_nav(request) -> dict:
    """Return the Settings navigation this member may use, and the development-mode flag."""
    context = {"webhook_private_urls_allowed": settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    membership = _membership(request)
    if membership is None:
        return context
    items = _nav_items(SETTINGS_NAV, path=request.path, is_admin=membership.is_admin)
    context["settings_nav"] = items
    context["settings_nav_active"] = _active_label(items)
    return context
