"""Tenant isolation: one workspace's key, session or trigger never reaches another's data,
whether by id, by idempotency key, or by a trigger URL of the other workspace."""

import pytest
from rest_framework.test import APIClient

from inbox.models import Ticket
from tests.factories import ConversationFactory, TicketFactory, make_api_key
from tests.support.inbound_triggers import event_trigger
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


def _client(workspace) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace)[1]}")
    return client


@pytest.fixture
def theirs(other_workspace):
    conversation = ConversationFactory(workspace=other_workspace)
    return {
        "ticket": TicketFactory(workspace=other_workspace, conversation=conversation),
        "endpoint": endpoint_create(
            workspace=other_workspace,
            url="https://93.184.215.14/hooks",
            event_types=["ticket.created"],
        ),
        "trigger": event_trigger(other_workspace),
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/tickets/{ticket}"),
        ("patch", "/api/v1/tickets/{ticket}"),
        ("post", "/api/v1/webhook-endpoints/{endpoint}/secret"),
        ("post", "/api/v1/webhook-endpoints/{endpoint}/rotate-secret"),
        ("get", "/api/v1/inbound-triggers/{trigger}"),
        ("delete", "/api/v1/inbound-triggers/{trigger}"),
        ("get", "/api/v1/inbound-triggers/{trigger}/receipts"),
    ],
)
def test_another_workspaces_objects_are_not_found_through_the_api(workspace, theirs, method, path):
    url = path.format(**{name: obj.pk for name, obj in theirs.items()})

    response = getattr(_client(workspace), method)(url, {}, format="json")

    assert response.status_code == 404
    assert str(theirs["trigger"].public_id) not in response.content.decode()


def test_another_workspaces_objects_are_not_listed(workspace, theirs):
    client = _client(workspace)

    for path in ("/api/v1/tickets", "/api/v1/webhook-endpoints", "/api/v1/inbound-triggers"):
        assert client.get(path).json()["results"] == [], path


def test_the_same_idempotency_key_in_two_workspaces_acts_in_each(workspace, other_workspace):
    body = {"subject": "Same"}

    ours = _client(workspace).post(
        "/api/v1/tickets", body, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    theirs = _client(other_workspace).post(
        "/api/v1/tickets", body, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )

    assert ours.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Ticket.objects.filter(workspace=other_workspace).count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/settings/inbound/{trigger}/",
        "/settings/inbound/{trigger}/edit/",
        "/settings/webhooks/{endpoint}/",
    ],
)
def test_another_workspaces_settings_pages_are_not_found(admin_client, theirs, path):
    url = path.format(**{name: obj.pk for name, obj in theirs.items()})

    assert admin_client.get(url).status_code == 404


def test_switching_to_a_workspace_one_is_not_a_member_of_is_a_404(admin_client, other_workspace):
    response = admin_client.post("/settings/workspace/switch/", {"workspace": other_workspace.pk})

    assert response.status_code == 404


def test_a_trigger_url_signature_of_one_trigger_does_not_open_another(client, workspace, theirs):
    ours = event_trigger(workspace)
    their_signature = theirs["trigger"].receive_path.rsplit("/", 1)[1]
    forged = ours.receive_path.rsplit("/", 1)[0] + "/" + their_signature

    response = client.post(forged, "{}", content_type="application/json")

    assert response.status_code == 404
