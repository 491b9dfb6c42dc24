"""/api/v1/inbound-triggers: CRUD with the URL in the representation, receipts, scope, tenancy."""

import pytest
from rest_framework.test import APIClient

from inbound.models import InboundTrigger
from tests.factories import MembershipFactory, make_api_key
from tests.support.inbound_triggers import ORDER_SCHEMA, post_json

pytestmark = pytest.mark.django_db

LIST = "/api/v1/inbound-triggers"


def _client(workspace, scopes=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=scopes)[1]}")
    return client


def _create(api_client, **overrides):
    body = {
        "name": "Shop: order shipped",
        "resource": "conversation",
        "payload_schema": ORDER_SCHEMA,
        "conversation_path": "order.conversation_id",
        "tags": ["shipped"],
    }
    body.update(overrides)
    return api_client.post(LIST, body, format="json")


def test_create_returns_the_signed_url_which_works(api_client, client, conversation):
    response = _create(api_client)

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["action"] == "tag_conversation"
    assert data["public_id"].startswith("trg_") and len(data["public_id"]) == 28
    assert data["url"].startswith(f"http://testserver/hooks/inbound/{data['public_id']}/")
    assert data["has_secret"] is False
    path = data["url"].removeprefix("http://testserver")
    shipped = {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}
    assert client.post(path, shipped, content_type="application/json").status_code == 200


def test_create_refuses_a_bad_configuration_per_field(api_client):
    wrong = _create(api_client, payload_schema={"type": "no-such-type"}, action="create_contact")
    incomplete = _create(api_client, conversation_path="", tags=[])

    # What the meta-schema refuses and what the action needs across fields: rules no schema
    # of the API's states, 422.
    assert wrong.status_code == incomplete.status_code == 422
    assert {"payload_schema", "action"} <= set(wrong.json()["errors"])
    assert "conversation" in wrong.json()["errors"]["action"][0]
    assert set(incomplete.json()["errors"]) == {"conversation_path", "tags"}
    assert not InboundTrigger.objects.exists()


def test_the_assignee_must_be_a_member(api_client, workspace, other_workspace):
    outsider = MembershipFactory(workspace=other_workspace).user
    member = MembershipFactory(workspace=workspace, role="support").user
    body = {"resource": "contact", "contact_email_path": "email", "payload_schema": {}}

    refused = _create(api_client, assignee=outsider.pk, **body)
    accepted = _create(api_client, assignee=member.pk, **body)

    assert refused.status_code == 409
    assert "assignee" in refused.json()["errors"]
    assert accepted.status_code == 201
    assert accepted.json()["assignee"] == member.pk


def test_read_update_and_delete(api_client):
    trigger_id = _create(api_client).json()["id"]
    url = f"{LIST}/{trigger_id}"

    assert api_client.get(url).json()["name"] == "Shop: order shipped"
    updated = api_client.patch(url, {"enabled": False, "secret": "s3cret"}, format="json")
    assert updated.status_code == 200
    assert (updated.json()["enabled"], updated.json()["has_secret"]) == (False, True)
    assert "secret" not in updated.json()
    assert api_client.get(LIST).json()["results"][0]["id"] == trigger_id
    assert api_client.delete(url).status_code == 204
    assert api_client.get(url).status_code == 404


def test_receipts_list_what_was_received_newest_first(api_client, client, conversation):
    trigger = InboundTrigger.objects.get(pk=_create(api_client).json()["id"])
    post_json(client, trigger, {"order": {"conversation_id": "shop-order-42", "status": "shipped"}})
    post_json(client, trigger, {"order": {}})

    response = api_client.get(f"{LIST}/{trigger.pk}/receipts")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["status"], row["http_status"]) for row in rows] == [
        ("rejected", 422),
        ("accepted", 200),
    ]
    assert rows[0]["error_type"] == "payload_invalid"
    assert rows[1]["result"]["tags_added"] == ["shipped"]


def test_a_key_without_the_inbound_scope_gets_403(workspace):
    client = _client(workspace, scopes=["tickets:read"])

    response = client.get(LIST)

    assert response.status_code == 403
    assert "inbound:read" in response.json()["detail"]


def test_a_read_only_key_cannot_create(workspace):
    response = _create(_client(workspace, scopes=["inbound:read"]))

    assert response.status_code == 403


def test_another_workspaces_trigger_is_404(api_client, other_workspace):
    other = _create(_client(other_workspace)).json()["id"]

    assert api_client.get(f"{LIST}/{other}").status_code == 404
    assert api_client.patch(f"{LIST}/{other}", {"name": "x"}, format="json").status_code == 404
    assert api_client.delete(f"{LIST}/{other}").status_code == 404
    assert api_client.get(f"{LIST}/{other}/receipts").status_code == 404
    assert api_client.get(LIST).json()["results"] == []
