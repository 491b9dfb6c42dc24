import pytest

from inbox.models import AgentVersion, TrainingAttempt
from tests.factories import AgentFactory, TrainingAttemptFactory
from webhooks.models import WebhookEvent


@pytest.mark.django_db
def test_agent_is_created_as_draft_and_nothing_is_emitted(api_client):
    response = api_client.post(
        "/api/v1/agents",
        {"name": "Billing bot", "configuration": {"prompt": "Help with invoices."}},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert response.json()["published_version"] is None
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_publish_then_republish_numbers_versions_and_emits_each_time(api_client, workspace):
    agent = AgentFactory(workspace=workspace, configuration={"prompt": "v1"})

    first = api_client.post(f"/api/v1/agents/{agent.pk}/publish", format="json")
    second = api_client.post(
        f"/api/v1/agents/{agent.pk}/publish", {"configuration": {"prompt": "v2"}}, format="json"
    )

    assert first.status_code == 200, first.json()
    assert first.json()["published_version"] == 1
    assert second.json()["published_version"] == 2
    assert second.json()["configuration"] == {"prompt": "v2"}
    versions = AgentVersion.objects.filter(agent=agent).order_by("number")
    assert [v.configuration for v in versions] == [{"prompt": "v1"}, {"prompt": "v2"}]
    assert versions[0].published_by.startswith("api_key:")
    events = list(WebhookEvent.objects.filter(event_type="agent.published"))
    assert [e.data["published_version"] for e in events] == [1, 2]
    assert events[0].previous_attributes is None
    assert events[1].previous_attributes == {"published_version": 1}
    # The event is the agent as the API shows it, plus the version's agent tools (none here).
    assert {key: value for key, value in events[1].data.items() if key != "tools"} == second.json()
    assert events[1].data["tools"] == []


@pytest.mark.django_db
def test_agent_validation_and_detail(api_client, workspace):
    agent = AgentFactory(workspace=workspace)

    missing_name = api_client.post("/api/v1/agents", {"configuration": {}}, format="json")
    bad_config = api_client.post(
        f"/api/v1/agents/{agent.pk}/publish", {"configuration": "prompt"}, format="json"
    )
    detail = api_client.get(f"/api/v1/agents/{agent.pk}")
    listed = api_client.get("/api/v1/agents?status=draft")

    assert missing_name.status_code == 400
    assert "name" in missing_name.json()["errors"]
    assert bad_config.status_code == 400
    assert "configuration" in bad_config.json()["errors"]
    assert detail.json()["name"] == agent.name
    assert [row["id"] for row in listed.json()["results"]] == [agent.pk]


@pytest.mark.django_db
def test_training_attempt_start_and_complete_emits_once(api_client):
    started = api_client.post(
        "/api/v1/training-attempts",
        {"trainee": "new.hire@example.com", "scenario": "Refund request"},
        format="json",
    )
    attempt_id = started.json()["id"]

    completed = api_client.post(
        f"/api/v1/training-attempts/{attempt_id}/complete",
        {"score": 91, "feedback": "Calm and clear."},
        format="json",
    )
    again = api_client.post(
        f"/api/v1/training-attempts/{attempt_id}/complete", {"score": 10}, format="json"
    )

    assert started.status_code == 201
    assert started.json()["status"] == "in_progress"
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"
    assert completed.json()["score"] == 91.0
    assert completed.json()["completed_at"] is not None
    assert again.status_code == 409
    assert TrainingAttempt.objects.get(pk=attempt_id).score == 91.0
    event = WebhookEvent.objects.get(event_type="training_attempt.completed")
    assert event.data == completed.json()
    assert event.previous_attributes == {"status": "in_progress"}


@pytest.mark.django_db
def test_training_validation_list_and_detail(api_client, workspace):
    attempt = TrainingAttemptFactory(workspace=workspace)

    no_scenario = api_client.post(
        "/api/v1/training-attempts", {"trainee": "a@example.com"}, format="json"
    )
    no_score = api_client.post(
        f"/api/v1/training-attempts/{attempt.pk}/complete", {}, format="json"
    )
    listed = api_client.get("/api/v1/training-attempts?status=in_progress")
    detail = api_client.get(f"/api/v1/training-attempts/{attempt.pk}")

    assert "scenario" in no_scenario.json()["errors"]
    assert "score" in no_score.json()["errors"]
    assert [row["id"] for row in listed.json()["results"]] == [attempt.pk]
    assert detail.json()["trainee"] == attempt.trainee


@pytest.mark.django_db
def test_a_practice_call_cannot_end_before_it_started(api_client, workspace):
    from datetime import UTC, datetime

    attempt = TrainingAttemptFactory(
        workspace=workspace, started_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    )

    response = api_client.post(
        f"/api/v1/training-attempts/{attempt.pk}/complete",
        {"score": 50, "completed_at": "2026-03-01T11:00:00Z"},
        format="json",
    )

    assert response.status_code == 409
    assert "completed_at" in response.json()["errors"]
    assert not WebhookEvent.objects.exists()
