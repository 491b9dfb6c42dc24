import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse

from inbox.models import TraceEntry
from tests.factories import ConversationFactory, ScorecardFactory
from webhooks.models import WebhookEvent

URL = "/api/v1/scorecards"


@pytest.mark.django_db
def test_create_traces_and_emits(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)

    response = api_client.post(
        URL,
        {
            "conversation": conversation.pk,
            "grader": "qa@example.com",
            "total_score": 87.5,
            "criteria": {"empathy": 4, "accuracy": 4.5},
            "comment": "Good recovery.",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["criteria"] == {"empathy": 4.0, "accuracy": 4.5}
    assert body["total_score"] == 87.5
    entry = TraceEntry.objects.get(conversation=conversation)
    assert (entry.kind, entry.details["scorecard_id"]) == ("scorecard_created", body["id"])
    assert WebhookEvent.objects.get(event_type="scorecard.created").data == body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total_score": "high"}, "total_score"),
        ({"total_score": 1e300}, "total_score"),
        ({"criteria": {"empathy": "nice"}}, "criteria.empathy"),
        ({"criteria": ["empathy"]}, "criteria"),
        ({"grader": ""}, "grader"),
        ({"conversation": None}, "conversation"),
    ],
)
def test_create_validation_errors(api_client, workspace, change, field):
    conversation = ConversationFactory(workspace=workspace)
    body = {"conversation": conversation.pk, "grader": "qa", "total_score": 1, **change}

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


@pytest.mark.django_db
def test_bulk_pull_pages_up_to_1000_and_filters(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)
    ScorecardFactory.create_batch(1005, workspace=workspace, conversation=conversation)
    other = ScorecardFactory(workspace=workspace, grader="other@example.com")

    first = api_client.get(f"{URL}?limit=1000&grader=qa@example.com")
    second = api_client.get(first.json()["next"])
    by_conversation = api_client.get(f"{URL}?conversation={other.conversation_id}")

    assert len(first.json()["results"]) == 1000
    assert len(second.json()["results"]) == 5
    assert second.json()["next"] is None
    assert [row["id"] for row in by_conversation.json()["results"]] == [other.pk]


@pytest.mark.django_db
def test_time_filters_are_inclusive_after_and_exclusive_before(api_client, workspace):
    early = ScorecardFactory(workspace=workspace, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    late = ScorecardFactory(workspace=workspace, created_at=datetime(2026, 2, 1, tzinfo=UTC))

    after = api_client.get(f"{URL}?created_after=2026-02-01T00:00:00Z")
    before = api_client.get(f"{URL}?created_before=2026-02-01T00:00:00Z")

    assert [row["id"] for row in after.json()["results"]] == [late.pk]
    assert [row["id"] for row in before.json()["results"]] == [early.pk]


def _streamed(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_ndjson_export_streams_the_matching_rows_as_the_api_shows_them(api_client, workspace):
    matching = ScorecardFactory.create_batch(3, workspace=workspace, grader="qa@example.com")
    ScorecardFactory(workspace=workspace, grader="someone-else")
    ScorecardFactory(grader="qa@example.com")  # another workspace's

    response = api_client.get(f"{URL}/export?format=ndjson&grader=qa@example.com")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in _streamed(response).splitlines()]
    assert [row["id"] for row in rows] == [scorecard.pk for scorecard in matching]
    listed = api_client.get(f"{URL}?grader=qa@example.com").json()["results"]
    assert rows == list(reversed(listed))


@pytest.mark.django_db
def test_csv_export_streams_a_header_and_the_matching_rows(api_client, workspace):
    conversation = ConversationFactory(workspace=workspace)
    matching = ScorecardFactory(workspace=workspace, conversation=conversation, comment='a, "b"')
    ScorecardFactory(workspace=workspace)

    response = api_client.get(f"{URL}/export?format=csv&conversation={conversation.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(_streamed(response))))
    assert len(rows) == 1
    assert rows[0]["id"] == str(matching.pk)
    assert rows[0]["comment"] == 'a, "b"'
    assert json.loads(rows[0]["criteria"]) == {"empathy": 4.0, "accuracy": 5.0}


def _export_peak_memory(api_client, workspace, conversation, rows: int) -> int:
    from inbox.models import Scorecard

    Scorecard.objects.filter(workspace=workspace).delete()
    Scorecard.objects.bulk_create(
        Scorecard(
            workspace=workspace,
            conversation=conversation,
            grader="qa@example.com",
            total_score=50.0,
            criteria={"empathy": 3.0},
            comment="x" * 200,
        )
        for _ in range(rows)
    )
    response = api_client.get(f"{URL}/export?format=ndjson")
    tracemalloc.start()
    count = sum(1 for _ in response.streaming_content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == rows
    return peak


@pytest.mark.django_db
def test_export_memory_stays_flat_as_rows_grow(api_client, workspace, monkeypatch):
    """Five times the rows must not take anywhere near five times the memory."""
    from inbox import selectors

    monkeypatch.setattr(selectors, "EXPORT_CHUNK_SIZE", 500)
    conversation = ConversationFactory(workspace=workspace)

    small = _export_peak_memory(api_client, workspace, conversation, rows=2_000)
    large = _export_peak_memory(api_client, workspace, conversation, rows=10_000)

    assert large < small * 2, (small, large)


@pytest.mark.django_db
def test_export_rejects_an_unknown_format_as_json(api_client):
    response = api_client.get(f"{URL}/export?format=xml")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "format" in response.json()["errors"]
