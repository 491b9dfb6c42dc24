"""Idempotency: a step after authentication and scope, keyed by the API key, with stored
responses sealed; one core shared by the API and the inbound receiver."""

import json

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from apikeys.services import api_key_revoke, api_key_update
from inbound.services import trigger_update
from omniflow.api.idempotency import IdempotentAPIView
from omniflow.crypto import body_signature
from tests.factories import make_api_key
from tests.support.inbound_triggers import SHIPPED, post_json
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


def _client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def endpoint(workspace):
    return endpoint_create(
        workspace=workspace, url="https://93.184.215.14/hooks", event_types=["ticket.created"]
    )


def test_a_revoked_key_gets_401_not_its_stored_response(
    workspace, endpoint, django_capture_on_commit_callbacks
):
    api_key, plaintext = make_api_key(workspace)
    url = f"/api/v1/webhook-endpoints/{endpoint.pk}/secret"
    first = _client(plaintext).post(url, HTTP_IDEMPOTENCY_KEY="reveal-1")
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=api_key, actor=None)

    replay = _client(plaintext).post(url, HTTP_IDEMPOTENCY_KEY="reveal-1")

    assert first.status_code == 200
    assert replay.status_code == 401
    assert "secret" not in replay.json()


def test_a_key_without_the_scope_gets_403_not_the_stored_response(
    workspace, endpoint, django_capture_on_commit_callbacks
):
    all_scopes, plaintext = make_api_key(workspace)
    url = f"/api/v1/webhook-endpoints/{endpoint.pk}/secret"
    _client(plaintext).post(url, HTTP_IDEMPOTENCY_KEY="reveal-2")
    with django_capture_on_commit_callbacks(execute=True):
        api_key_update(
            api_key=all_scopes, name="narrowed", scopes=["tickets:read"], tier="default", actor=None
        )

    assert _client(plaintext).post(url, HTTP_IDEMPOTENCY_KEY="reveal-2").status_code == 403


def test_another_key_of_the_same_workspace_does_not_get_the_stored_response(workspace, endpoint):
    _, first_key = make_api_key(workspace)
    _, second_key = make_api_key(workspace)
    url = f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate-secret"

    first = _client(first_key).post(url, HTTP_IDEMPOTENCY_KEY="rotate")
    second = _client(second_key).post(url, HTTP_IDEMPOTENCY_KEY="rotate")

    assert "Idempotent-Replayed" not in second
    assert second.json()["secret"] != first.json()["secret"]


def _stored_values() -> bytes:
    client = redis.Redis.from_url(settings.REDIS_URL)
    return b"".join(client.get(key) or b"" for key in client.keys(f"*{'idempotency'}*"))


def test_stored_responses_hold_no_secret_in_clear(api_client, endpoint):
    url = f"/api/v1/webhook-endpoints/{endpoint.pk}/secret"

    revealed = api_client.post(url, HTTP_IDEMPOTENCY_KEY="reveal-3").json()["secret"]
    replay = api_client.post(url, HTTP_IDEMPOTENCY_KEY="reveal-3")

    stored = _stored_values()
    assert stored, "a record was stored"
    assert revealed.encode() not in stored
    assert replay.json()["secret"] == revealed


def test_a_record_sealed_under_a_rotated_secrets_key_is_dropped_not_a_500(
    api_client, settings, workspace
):
    first = api_client.post(
        "/api/v1/tickets", {"subject": "One"}, format="json", HTTP_IDEMPOTENCY_KEY="rot"
    )
    settings.OMNIFLOW_SECRETS_KEY = "bmV3LXNlY3JldHMta2V5LTAxMjM0NTY3ODlhYmNkZWY="

    again = api_client.post(
        "/api/v1/tickets", {"subject": "One"}, format="json", HTTP_IDEMPOTENCY_KEY="rot"
    )

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in again


def test_the_inbound_receiver_uses_the_same_sealed_records(client, tag_trigger, conversation):
    first = post_json(client, tag_trigger, SHIPPED, HTTP_IDEMPOTENCY_KEY="evt-1")
    replay = post_json(client, tag_trigger, SHIPPED, HTTP_IDEMPOTENCY_KEY="evt-1")

    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert b"shop-order-42" not in _stored_values()
    assert cache.get(f"idempotency:inbound:{tag_trigger.pk}:") is None  # keys are hashed


def test_an_inbound_idempotency_key_is_checked_after_the_body_signature(
    client, tag_trigger, conversation
):
    trigger = trigger_update(trigger=tag_trigger, secret="s3cret")
    body = json.dumps(SHIPPED)
    signed = post_json(
        client,
        trigger,
        body,
        HTTP_IDEMPOTENCY_KEY="evt-2",
        HTTP_X_OMNIFLOW_SIGNATURE=body_signature(secret="s3cret", body=body.encode()),
    )
    unsigned = post_json(client, trigger, body, HTTP_IDEMPOTENCY_KEY="evt-2")

    assert signed.status_code == 200
    assert unsigned.status_code == 401


def _api_views(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            yield route, getattr(pattern.callback, "view_class", None)


def test_every_api_view_that_takes_a_post_honours_idempotency_keys():
    views = [
        (route, view)
        for route, view in _api_views()
        if view is not None and issubclass(view, APIView) and hasattr(view, "post")
    ]

    assert len(views) >= 15
    assert [route for route, view in views if not issubclass(view, IdempotentAPIView)] == []
    assert "omniflow.api.idempotency.IdempotencyMiddleware" in settings.MIDDLEWARE
