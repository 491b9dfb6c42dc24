"""Webhook events as a domain service makes them: emitted and committed, replayed in bulk."""

from django.db import transaction

from webhooks.events import emit
from webhooks.models import WebhookEvent
from webhooks.replays import replay_job_create, replay_job_run


def emit_committed(*, workspace, event_type: str, resource_id, **data) -> WebhookEvent:
    """Emit one event in its own committed transaction, as a domain service would."""
    with transaction.atomic():
        return emit(
            workspace=workspace,
            event_type=event_type,
            resource_id=resource_id,
            data={"id": resource_id, **data},
        )


def replay_failed(**filters) -> int:
    """Bulk-replay the failed deliveries matching the filters now, as the background job does;
    return how many were replayed."""
    return replay_job_run(job_id=replay_job_create(**filters).id).done
