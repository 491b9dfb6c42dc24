import threading
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from rest_framework.test import APIClient

from apikeys.services import api_key_update
from inbox.models import Contact, Conversation, Ticket
from omniflow.api import idempotency
from omniflow.idempotency import is_storable
from tests.factories import ContactFactory, make_api_key
from tests.support.transcripts import transcript
from webhooks.models import WebhookEvent


def _post(client, url, body, key="key-1"):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "model"),
    [
        ("/api/v1/conversations", transcript(), Conversation),
        ("/api/v1/tickets", {"subject": "Printer on fire"}, Ticket),
        ("/api/v1/contacts", {"email": "ada@example.com"}, Contact),
    ],
)
def test_same_key_and_body_replays_the_first_response_and_creates_nothing(
    api_client, url, body, model
):
    first = _post(api_client, url, body)
    replay = _post(api_client, url, body)

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert model.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_a_409(api_client):
    _post(api_client, "/api/v1/tickets", {"subject": "One"})

    response = _post(api_client, "/api/v1/tickets", {"subject": "Two"})

    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_same_key_on_another_endpoint_is_a_409(api_client):
    _post(api_client, "/api/v1/tickets", {"subject": "One"})

    response = _post(api_client, "/api/v1/agents", {"subject": "One"})

    assert response.json()["type"] == "idempotency_key_reused"


@pytest.mark.django_db
def test_without_a_key_every_post_acts(api_client):
    api_client.post("/api/v1/tickets", {"subject": "One"}, format="json")
    api_client.post("/api/v1/tickets", {"subject": "One"}, format="json")

    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_keys_are_scoped_to_the_api_key(api_client, workspace, client_for):
    other_client = client_for(workspace)

    _post(api_client, "/api/v1/tickets", {"subject": "One"})
    response = _post(other_client, "/api/v1/tickets", {"subject": "One"})

    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_a_validation_error_is_replayed_too(api_client):
    first = _post(api_client, "/api/v1/tickets", {})
    replay = _post(api_client, "/api/v1/tickets", {})

    assert first.status_code == replay.status_code == 400
    assert replay.json() == first.json()
    assert replay["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_403_is_not_remembered(workspace, django_capture_on_commit_callbacks):
    api_key, plaintext = make_api_key(workspace, scopes=["tickets:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    refused = _post(client, "/api/v1/tickets", {"subject": "One"})
    with django_capture_on_commit_callbacks(execute=True):
        api_key_update(
            api_key=api_key, name=api_key.name, scopes=["tickets:write"], tier="default", actor=None
        )
    allowed = _post(client, "/api/v1/tickets", {"subject": "One"})

    assert refused.status_code == 403
    assert allowed.status_code == 201
    assert "Idempotent-Replayed" not in allowed


@pytest.mark.parametrize(
    ("status", "stored"),
    [(201, True), (400, True), (409, True), (401, False), (429, False), (500, False), (503, False)],
)
def test_only_responses_of_the_endpoint_that_are_final_are_stored(status, stored):
    assert is_storable(HttpResponse(status=status)) is stored


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_an_invalid_key_is_a_400(api_client, key):
    response = _post(api_client, "/api/v1/tickets", {"subject": "One"}, key=key)

    assert response.status_code == 400
    assert response.json()["type"] == "invalid_idempotency_key"
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_records_are_kept_24_hours(api_client, api_key):
    _post(api_client, "/api/v1/tickets", {"subject": "One"}, key="ttl-key")

    stored_as = cache.make_key(idempotency.api_cache_key(api_key=api_key[0], key="ttl-key"))
    ttl = redis.Redis.from_url(settings.REDIS_URL).ttl(stored_as)

    assert 24 * 3600 - 60 < ttl <= 24 * 3600


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_is_running_is_a_409_in_use(workspace):
    """Given a first request held up inside the database, the same key meanwhile is refused,
    and once the first finishes the key replays it."""
    contact = ContactFactory(workspace=workspace, email="ada@example.com")
    _, plaintext = make_api_key(workspace)
    body = {"email": "ada@example.com", "name": "Ada"}
    results = {}

    def first_request():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        try:
            results["first"] = _post(client, "/api/v1/contacts", body, key="slow")
        finally:
            connection.close()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    with transaction.atomic():
        # Hold the contact's row lock so the first request waits inside its upsert.
        Contact.objects.select_for_update().get(pk=contact.pk)
        thread = threading.Thread(target=first_request)
        thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.05)
        in_use = _post(client, "/api/v1/contacts", body, key="slow")
    thread.join(10)
    replay = _post(client, "/api/v1/contacts", body, key="slow")

    assert in_use.status_code == 409
    assert in_use.json()["type"] == "idempotency_key_in_use"
    assert results["first"].status_code == 200
    assert replay.json() == results["first"].json()
    assert replay["Idempotent-Replayed"] == "true"


def _count_of(model_name: str) -> int:
    from django.apps import apps

    return apps.get_model("inbox", model_name).objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "status", "model_name"),
    [
        (
            "/api/v1/scorecards",
            {"conversation": "{conversation}", "grader": "qa", "total_score": 3},
            201,
            "Scorecard",
        ),
        ("/api/v1/agents", {"name": "Bot"}, 201, "Agent"),
        ("/api/v1/agents/{agent}/publish", {}, 200, "AgentVersion"),
        ("/api/v1/training-attempts", {"trainee": "t", "scenario": "s"}, 201, "TrainingAttempt"),
        ("/api/v1/training-attempts/{attempt}/complete", {"score": 5}, 200, "TrainingAttempt"),
        (
            "/api/v1/routing-rules",
            {"name": "r", "conditions": [], "actions": [{"type": "tag", "tag": "t"}]},
            201,
            "RoutingRule",
        ),
    ],
)
def test_every_other_post_endpoint_replays_too(
    api_client, workspace, path, body, status, model_name
):
    from tests.factories import AgentFactory, ConversationFactory, TrainingAttemptFactory

    ids = {
        "conversation": ConversationFactory(workspace=workspace).pk,
        "agent": AgentFactory(workspace=workspace).pk,
        "attempt": TrainingAttemptFactory(workspace=workspace).pk,
    }
    body = {
        key: int(value.format(**ids)) if value == "{conversation}" else value
        for key, value in body.items()
    }
    url = path.format(**ids)
    events_before = WebhookEvent.objects.count()

    first = _post(api_client, url, body)
    count = _count_of(model_name)
    events = WebhookEvent.objects.count()
    replay = _post(api_client, url, body)

    assert first.status_code == status, first.json()
    assert replay.status_code == status
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert _count_of(model_name) == count
    assert WebhookEvent.objects.count() == events >= events_before
