from django.db import transaction

from webhooks.events import emit
from webhooks.models import WebhookEvent


def emit_committed(*, workspace, event_type: str, resource_id, **data) -> WebhookEvent:
    """Emit one event in its own committed transaction, as a domain service would."""
    with transaction.atomic():
        return emit(
            workspace=workspace,
            event_type=event_type,
            resource_id=resource_id,
            data={"id": resource_id, **data},
        )
