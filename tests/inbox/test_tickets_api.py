import pytest

from inbox.models import Ticket, TraceEntry
from tests.factories import ConversationFactory, TicketFactory
from webhooks.models import WebhookEvent

URL = "/api/v1/tickets"


@pytest.mark.django_db
def test_create_links_the_conversation_traces_it_and_emits(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)

    response = api_client.post(
        URL,
        {
            "subject": "Refund not received",
            "priority": "high",
            "conversation": conversation.pk,
            "tags": ["refund"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open"
    assert body["priority"] == "high"
    assert body["conversation"] == conversation.pk
    assert body["tags"] == ["refund"]
    entry = TraceEntry.objects.get(conversation=conversation)
    assert entry.kind == "ticket_linked"
    assert entry.details["ticket_id"] == body["id"]
    assert entry.actor.startswith("api_key:omf_live_")
    event = WebhookEvent.objects.get(event_type="ticket.created")
    assert event.data == body
    assert event.resource_id == str(body["id"])


@pytest.mark.django_db
def test_create_refuses_another_workspaces_conversation(api_client, other_workspace):
    theirs = ConversationFactory(workspace=other_workspace)

    response = api_client.post(URL, {"subject": "x", "conversation": theirs.pk}, format="json")

    assert response.status_code == 409
    assert "conversation" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_an_unknown_reference_beside_a_malformed_field_is_a_400(api_client, other_workspace):
    """The state conflict (409) is for a well-formed body only: any other error makes it a 400."""
    theirs = ConversationFactory(workspace=other_workspace)

    response = api_client.post(URL, {"subject": "", "conversation": theirs.pk}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"subject", "conversation"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "subject"),
        ({"subject": ""}, "subject"),
        ({"subject": "x", "priority": "whenever"}, "priority"),
        ({"subject": "x", "status": "done"}, "status"),
        ({"subject": "x", "conversation": "1"}, "conversation"),
        ({"subject": "x", "conversation": True}, "conversation"),
        ({"subject": "x", "conversation": 2**70}, "conversation"),
        ({"subject": "x", "tags": [""]}, "tags.0"),
    ],
)
def test_create_validation_errors(api_client, body, field):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


@pytest.mark.django_db
def test_status_change_emits_with_the_previous_status(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)
    ticket = TicketFactory(workspace=workspace, conversation=conversation)

    response = api_client.patch(f"{URL}/{ticket.pk}", {"status": "escalated"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "escalated"
    event = WebhookEvent.objects.get(event_type="ticket.status_changed")
    assert event.previous_attributes == {"status": "open"}
    assert event.data == response.json()
    entry = TraceEntry.objects.get(conversation=conversation)
    assert (entry.kind, entry.details["from"], entry.details["to"]) == (
        "ticket_status_changed",
        "open",
        "escalated",
    )


@pytest.mark.django_db
def test_patch_without_status_change_emits_nothing(api_client, workspace):
    ticket = TicketFactory(workspace=workspace)

    response = api_client.patch(f"{URL}/{ticket.pk}", {"priority": "urgent"}, format="json")

    assert response.json()["priority"] == "urgent"
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_list_filters_and_detail(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)
    linked = TicketFactory(workspace=workspace, conversation=conversation, status="pending")
    TicketFactory(workspace=workspace)

    by_status = api_client.get(f"{URL}?status=pending")
    by_conversation = api_client.get(f"{URL}?conversation={conversation.pk}")
    detail = api_client.get(f"{URL}/{linked.pk}")

    assert [row["id"] for row in by_status.json()["results"]] == [linked.pk]
    assert [row["id"] for row in by_conversation.json()["results"]] == [linked.pk]
    assert detail.json()["subject"] == linked.subject
