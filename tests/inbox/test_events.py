"""Each domain action emits its webhook event in its own transaction, with the API's view of
the resource as data; an action rolled back leaves no event behind."""

import pytest
from django.db import transaction

from inbox import services
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    RoutingRuleFactory,
    TicketFactory,
    TrainingAttemptFactory,
)
from tests.support.transcripts import transcript
from webhooks.models import WebhookEvent


@pytest.mark.django_db
def test_ingest_emits_conversation_created_with_the_api_representation(api_client, workspace):
    response = api_client.post("/api/v1/conversations", transcript(), format="json")

    event = WebhookEvent.objects.get()
    assert event.event_type == "conversation.created"
    assert event.workspace == workspace
    assert (event.resource_type, event.resource_id) == ("conversation", str(response.json()["id"]))
    assert event.data == response.json()
    assert event.previous_attributes is None
    assert event.data == api_client.get(f"/api/v1/conversations/{event.resource_id}").json()


class _Abort(Exception):
    pass


def _rolled_back(action):
    with pytest.raises(_Abort), transaction.atomic():
        action()
        assert WebhookEvent.objects.exists()  # emitted inside the transaction...
        raise _Abort


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action",
    [
        "ingest",
        "resolve",
        "ticket_create",
        "ticket_status",
        "scorecard",
        "publish",
        "training",
        "rule",
    ],
)
def test_an_action_rolled_back_leaves_no_event(workspace, action):
    conversation = ConversationFactory(workspace=workspace)
    actions = {
        "ingest": lambda: services.conversation_ingest(workspace=workspace, actor="t"),
        "resolve": lambda: services.conversation_update(
            conversation=conversation, actor="t", status="resolved"
        ),
        "ticket_create": lambda: services.ticket_create(
            workspace=workspace, subject="x", actor="t"
        ),
        "ticket_status": lambda: services.ticket_update(
            ticket=TicketFactory(workspace=workspace), actor="t", status="closed"
        ),
        "scorecard": lambda: services.scorecard_create(
            workspace=workspace, conversation=conversation, grader="g", total_score=1, actor="t"
        ),
        "publish": lambda: services.agent_publish(
            agent=AgentFactory(workspace=workspace), actor="t"
        ),
        "training": lambda: services.training_attempt_complete(
            attempt=TrainingAttemptFactory(workspace=workspace), score=1
        ),
        "rule": lambda: (
            RoutingRuleFactory(workspace=workspace, conditions=[], trigger="updated"),
            services.conversation_update(conversation=conversation, actor="t", subject="new"),
        ),
    }

    _rolled_back(actions[action])

    assert not WebhookEvent.objects.exists()  # ...and gone with it.


@pytest.mark.django_db
def test_reopening_a_conversation_is_traced_but_emits_nothing(workspace):
    conversation = ConversationFactory(workspace=workspace, status="resolved")

    services.conversation_update(conversation=conversation, actor="t", status="open")

    assert not WebhookEvent.objects.exists()
    assert conversation.trace_entries.get().details == {"from": "resolved", "to": "open"}
