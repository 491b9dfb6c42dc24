"""The event catalogue's example payloads (GET /api/v1/webhook-event-types) have exactly the
shape of the events the domain really emits, so integrators can code against them."""

import pytest

from inbox import services
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    RoutingRuleFactory,
    TicketFactory,
    TrainingAttemptFactory,
)
from webhooks.events import CATALOGUE
from webhooks.models import WebhookEvent
from webhooks.payloads import EXAMPLES


def _shape(value):
    """Keys (recursively) and JSON types, not values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def _emit_every_event_type(workspace):
    conversation = ConversationFactory(workspace=workspace)
    RoutingRuleFactory(workspace=workspace, conditions=[], trigger="updated")
    services.conversation_update(conversation=conversation, actor="t", subject="Changed")
    services.conversation_ingest(workspace=workspace, actor="t", subject="Hello")
    services.conversation_update(conversation=conversation, actor="t", status="resolved")
    ticket = services.ticket_create(
        workspace=workspace, subject="Refund", actor="t", conversation=conversation
    )
    services.ticket_update(ticket=ticket, actor="t", status="pending")
    services.scorecard_create(
        workspace=workspace, conversation=conversation, grader="qa", total_score=9, actor="t"
    )
    services.agent_publish(agent=AgentFactory(workspace=workspace), actor="t")
    services.training_attempt_complete(
        attempt=TrainingAttemptFactory(workspace=workspace), score=80
    )
    TicketFactory(workspace=workspace)


@pytest.mark.django_db
def test_every_example_has_the_shape_of_a_real_event(workspace):
    _emit_every_event_type(workspace)
    emitted = {event.event_type: event for event in WebhookEvent.objects.order_by("id")}

    assert set(emitted) == set(CATALOGUE)
    for event_type, (data, previous_attributes) in EXAMPLES.items():
        event = emitted[event_type]
        assert set(data) == set(event.data), event_type
        assert _shape(previous_attributes) == _shape(event.previous_attributes), event_type
