"""The one definition of the deliveries' filters, read by the log and by bulk replay.

The API's serializers (`webhooks.api.serializers.DeliveryFilters`, `BulkReplayInput`) and the
Settings form (`webhooks.forms.DeliveryFilterForm`) declare their fields from these bounds and
hand what they validated to `selector_filters`, so the three cannot drift apart.
"""

from typing import Any

from .events import CATALOGUE
from .models import WebhookDelivery, WebhookEvent

STATUS_CHOICES = WebhookDelivery.Status.choices
EVENT_TYPES = list(CATALOGUE)
RESOURCE_TYPE_MAX_LENGTH = WebhookEvent._meta.get_field("resource_type").max_length
RESOURCE_ID_MAX_LENGTH = WebhookEvent._meta.get_field("resource_id").max_length


def selector_filters(validated: dict[str, Any]) -> dict[str, Any]:
    """Return validated filters as `deliveries_for_log` takes them (blank ones dropped)."""
    return {
        "endpoint_id" if name == "endpoint" else name: value
        for name, value in validated.items()
        if value not in (None, "")
    }


FILTER_WORDS = {
    "status": "status",
    "endpoint_id": "endpoint",
    "event_type": "event",
    "resource_type": "resource type",
    "resource_id": "resource id",
    "created_after": "created from",
    "created_before": "created until",
}


def filters_text(filters: dict[str, Any], *, endpoint_urls: dict[int, str]) -> str:
    """Return the log's filters as words: "endpoint https://…, event ticket.created"."""
    parts = []
    for name, value in filters.items():
        if name == "endpoint_id":
            value = endpoint_urls.get(value, f"#{value} (deleted)")
        elif hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%d %H:%M UTC")
        elif isinstance(value, str) and name.startswith("created_"):
            value = value.replace("T", " ")[:16] + " UTC"
        parts.append(f"{FILTER_WORDS.get(name, name.replace('_', ' '))} {value}")
    return ", ".join(parts)
