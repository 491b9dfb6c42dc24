"""API keys' panel of the Settings overview (admins): keys refused for their rate limits
today, and keys expiring within a week."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from workspaces.overview import OverviewFact, OverviewPanel

from .models import ApiKey
from .usage import refused_counter_key

EXPIRY_WARNING = timedelta(days=7)
# Keys whose usage today is read from the cache: a workspace with more is shown its first ones.
MOST_KEYS_CHECKED = 200


def keys_panel(*, workspace, membership) -> OverviewPanel | None:
    """Return the keys near their limits; None for support staff (keys are admins' only)."""
    if not membership.is_admin:
        return None
    now = timezone.now()
    keys = list(
        ApiKey.objects.filter(workspace=workspace, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("id")[:MOST_KEYS_CHECKED]
    )
    # Today's 429 counters of every key in one round trip to the cache.
    refused_today = cache.get_many([refused_counter_key(key_id=key.pk) for key in keys])
    items = []
    for key in keys:
        url = reverse("apikeys:apikey-detail", args=[key.pk])
        refused = int(refused_today.get(refused_counter_key(key_id=key.pk)) or 0)
        if refused:
            items.append(OverviewFact(key.name, f"{refused} refused today (429)", url, "bad"))
        if key.expires_at and key.expires_at - now < EXPIRY_WARNING:
            days = max((key.expires_at - now).days, 0)
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            items.append(OverviewFact(key.name, f"expires {when}", url, "warn"))
    return OverviewPanel(
        title="API keys",
        facts=[OverviewFact("active keys", len(keys), reverse("apikeys:apikey-list"))],
        items=items,
        empty="None near its limits." if keys else "None yet.",
    )
