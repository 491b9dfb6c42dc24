"""What the Settings-page tests of webhooks share: their URLs, an endpoint, a delivery."""

from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create

LIST_URL = "/settings/webhooks/"
CREATE_URL = "/settings/webhooks/new/"
LOG_URL = "/settings/deliveries/"


def make_endpoint(workspace, url="https://hooks.example.com/in", **kwargs) -> WebhookEndpoint:
    kwargs.setdefault("event_types", ["ticket.created"])
    return endpoint_create(workspace=workspace, url=url, **kwargs)


def make_delivery(endpoint, *, status="failed", resource_id=1, event_type="ticket.created"):
    """Emit an event to `endpoint` and set its one delivery to `status`."""
    emit_committed(workspace=endpoint.workspace, event_type=event_type, resource_id=resource_id)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).latest("id")
    WebhookDelivery.objects.filter(id=delivery.id).update(status=status, attempt_count=1)
    delivery.refresh_from_db()
    return delivery
