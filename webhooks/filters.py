"""The one definition of the deliveries' filters, read by the log and by bulk replay.

The API's serializers (`webhooks.api.serializers.DeliveryFilters`, `BulkReplayInput`) and the
Settings form (`webhooks.forms.DeliveryFilterForm`) declare their fields from these bounds and
hand what they validated to `selector_filters`, so the three cannot drift apart. The log also
takes a search (`parse_search`): what support staff and consumers quote to find a delivery.
"""

import re
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


# --- Find a delivery by what people quote ----------------------------------------------------

SEARCH_MAX_LENGTH = 128
RESOURCE_TYPES = sorted({entry.resource_type for entry in CATALOGUE.values()})
SEARCH_HELP = "An event id (evt_…), a delivery id (123) or a resource (ticket:123 or ticket 123)."
_EVENT_ID = "evt_[0-9a-f]{24}"  # as models._event_public_id makes them
_RESOURCE_ID = f"[!-~]{{1,{RESOURCE_ID_MAX_LENGTH}}}"
# Every form a search takes, in the syntax JSON Schema and Python share (the API's schema
# states it): spaces around, `ticket:123`, `ticket 123`, `ticket: #123`.
SEARCH_PATTERN = (
    f"^ *(?:({_EVENT_ID})|#?([0-9]{{1,18}})"
    f"|({'|'.join(RESOURCE_TYPES)})(?::|:? +)#?({_RESOURCE_ID})) *$"
)
_SEARCH = re.compile(SEARCH_PATTERN.removeprefix("^").removesuffix("$"))


class SearchInvalid(ValueError):
    """The search text is none of the forms `parse_search` knows; the message says why."""


class SearchConflict(SearchInvalid):
    """The search names a value another filter gives otherwise (a rule across parameters)."""


def parse_search(text: str) -> dict[str, Any]:
    """Return the filters a search names: an event id, a delivery id or a resource."""
    if match := _SEARCH.fullmatch(text):
        event_id, delivery_id, resource_type, resource_id = match.groups()
        if event_id:
            return {"event_id": event_id}
        if delivery_id:
            return {"delivery_id": int(delivery_id)}
        return {"resource_type": resource_type, "resource_id": resource_id}
    raise SearchInvalid(_why_not(text.strip()))


def _why_not(text: str) -> str:
    if text.lower().startswith("evt_"):
        return (
            "An event id is evt_ followed by 24 lowercase hexadecimal characters, "
            "as in the webhook-id header."
        )
    if text.lstrip("#").isdigit():
        return "A delivery id has at most 18 digits."
    # What looks like "type:id" or "type id" (one word each).
    if (shaped := re.fullmatch(r"([A-Za-z_]+)(?::|:? +)#?\S+", text)) and (
        resource_type := shaped.group(1)
    ) not in RESOURCE_TYPES:
        return f"Unknown resource type '{resource_type}'; one of: {', '.join(RESOURCE_TYPES)}."
    if re.split(r"[: ]", text, maxsplit=1)[0] in RESOURCE_TYPES:
        return (
            f"A resource id has 1 to {RESOURCE_ID_MAX_LENGTH} visible characters, "
            "no spaces (ticket:123)."
        )
    return f"Search by {SEARCH_HELP[0].lower()}{SEARCH_HELP[1:]}"


def with_search(filters: dict[str, Any], search: str | None) -> dict[str, Any]:
    """Return `filters` narrowed by what `search` names (SearchInvalid if it names nothing)."""
    if not search:
        return filters
    found = parse_search(search)
    for name, value in found.items():
        if filters.get(name) not in (None, value):
            raise SearchConflict(f"The search names a {name} other than the filter's.")
    return {**filters, **found}


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
