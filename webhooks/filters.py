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
