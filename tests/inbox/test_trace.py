import pytest

from inbox.models import Conversation
from inbox.services import trace_event_record
from tests.factories import ConversationFactory
from tests.support.transcripts import transcript


@pytest.mark.django_db
def test_trace_reads_back_ingest_resolve_ticket_and_score_in_order(api_client, workspace):
    """Given a transcript ingested, resolved, ticketed and scored through the API,
    the trace returns every step, oldest first, each with time, actor and details."""
    conversation_id = api_client.post("/api/v1/conversations", transcript(), format="json").json()[
        "id"
    ]
    api_client.patch(
        f"/api/v1/conversations/{conversation_id}", {"status": "resolved"}, format="json"
    )
    ticket_id = api_client.post(
        "/api/v1/tickets",
        {"subject": "Refund follow-up", "conversation": conversation_id},
        format="json",
    ).json()["id"]
    scorecard_id = api_client.post(
        "/api/v1/scorecards",
        {"conversation": conversation_id, "grader": "qa@example.com", "total_score": 92},
        format="json",
    ).json()["id"]

    response = api_client.get(f"/api/v1/conversations/{conversation_id}/trace")

    assert response.status_code == 200
    entries = response.json()["results"]
    assert [entry["kind"] for entry in entries] == [
        "conversation_created",
        "message",
        "message",
        "status_changed",
        "ticket_linked",
        "scorecard_created",
    ]
    assert entries[0]["occurred_at"] == "2026-01-05T10:00:00Z"
    assert entries[1]["details"]["body"] == "I was charged twice."
    assert entries[1]["actor"] == "contact:Ada"
    assert entries[2]["occurred_at"] == "2026-01-05T10:07:00Z"
    assert entries[3]["details"] == {"from": "open", "to": "resolved"}
    assert entries[4]["details"]["ticket_id"] == ticket_id
    assert entries[5]["details"]["scorecard_id"] == scorecard_id
    assert all(entry["actor"].startswith("api_key:") for entry in entries[3:])
    times = [entry["occurred_at"] for entry in entries]
    assert times == sorted(times)


@pytest.mark.django_db
def test_custom_events_are_recorded_in_time_order(api_client, workspace):
    from datetime import UTC, datetime

    conversation = ConversationFactory(workspace=workspace)
    trace_event_record(
        conversation=conversation,
        name="order.shipped",
        actor="inbound:shopify",
        details={"order": "42"},
        occurred_at=datetime(2030, 1, 2, tzinfo=UTC),
    )
    trace_event_record(
        conversation=conversation,
        name="order.paid",
        actor="inbound:shopify",
        occurred_at=datetime(2030, 1, 1, tzinfo=UTC),
    )

    entries = api_client.get(f"/api/v1/conversations/{conversation.pk}/trace").json()["results"]

    assert [entry["details"]["name"] for entry in entries] == ["order.paid", "order.shipped"]
    assert entries[1]["details"]["data"] == {"order": "42"}
    assert entries[1]["kind"] == "custom_event"


@pytest.mark.django_db
def test_trace_entries_cannot_be_rewritten(workspace):
    conversation = ConversationFactory(workspace=workspace)
    entry = trace_event_record(conversation=conversation, name="x", actor="test")

    entry.details = {"name": "forged"}
    with pytest.raises(TypeError):
        entry.save()


@pytest.mark.django_db
def test_trace_pages_in_order_without_gaps(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)
    for index in range(7):
        trace_event_record(conversation=conversation, name=f"e{index}", actor="test")

    names, url = [], f"/api/v1/conversations/{conversation.pk}/trace?limit=3"
    while url:
        page = api_client.get(url).json()
        names += [entry["details"]["name"] for entry in page["results"]]
        url = page["next"]

    assert names == [f"e{index}" for index in range(7)]


@pytest.mark.django_db
def test_another_workspaces_trace_is_404(api_client, other_workspace):
    theirs = ConversationFactory(workspace=other_workspace)
    trace_event_record(conversation=theirs, name="secret", actor="test")

    response = api_client.get(f"/api/v1/conversations/{theirs.pk}/trace")

    assert response.status_code == 404
    assert Conversation.objects.filter(pk=theirs.pk).exists()
