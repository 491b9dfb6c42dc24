"""Settings → Inbound webhooks with a signed-in client: admins change, support staff look."""

import json

import pytest

from inbound.models import InboundTrigger
from inbound.services import trigger_create
from omniflow.crypto import decrypt_secret
from tests.support.inbound_triggers import ORDER_SCHEMA, post_json

pytestmark = pytest.mark.django_db

LIST_URL = "/settings/inbound/"
CREATE_URL = "/settings/inbound/new/"


def _form(**overrides) -> dict:
    form = {
        "name": "Shop: order shipped",
        "resource": "conversation",
        "payload_schema": json.dumps(ORDER_SCHEMA),
        "conversation_match": "external_id",
        "conversation_path": "order.conversation_id",
        "tags": "shipped, delivered",
        "event_name": "",
        "contact_email_path": "",
        "contact_external_id_path": "",
        "contact_name_path": "",
        "assignee": "",
        "idempotency_path": "",
        "secret": "",
        "enabled": "on",
    }
    form.update(overrides)
    return form


def _trigger(workspace, **overrides) -> InboundTrigger:
    config = {
        "name": "Existing",
        "resource": "conversation",
        "payload_schema": ORDER_SCHEMA,
        "conversation_path": "order.conversation_id",
        "tags": ["shipped"],
    }
    config.update(overrides)
    return trigger_create(workspace=workspace, created_by=None, **config)


def test_admin_creates_a_trigger_and_sees_its_url_and_receipts(
    admin_client, admin_membership, workspace, client, conversation
):
    response = admin_client.post(CREATE_URL, _form())

    trigger = InboundTrigger.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert response["Location"] == trigger.get_absolute_url()
    assert trigger.tags == ["delivered", "shipped"]
    assert trigger.created_by == admin_membership.user
    assert trigger.action == "tag_conversation"
    payload = {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}
    post_json(client, trigger, payload)
    post_json(client, trigger, {"order": {"conversation_id": "nope", "status": "shipped"}})

    page = admin_client.get(trigger.get_absolute_url()).content.decode()
    assert f"http://testserver{trigger.receive_path}" in page
    assert "curl -X POST" in page
    assert "conversation_not_found" in page
    assert "No conversation with external_id &#x27;nope&#x27;" in page
    assert "tags added: delivered, shipped · conversation id" in page
    listing = admin_client.get(LIST_URL).content.decode()
    assert "Shop: order shipped" in listing and "rejected" in listing


def test_the_nav_links_inbound_webhooks(admin_client):
    page = admin_client.get(LIST_URL).content.decode()

    assert f'href="{LIST_URL}"' in page
    assert "Inbound webhooks" in page


def test_a_bad_schema_re_renders_with_the_error_and_keeps_the_input(admin_client):
    response = admin_client.post(
        CREATE_URL, _form(payload_schema='{"type": "object",', name="Keep me")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This is not valid JSON" in page
    assert 'value="Keep me"' in page
    assert "{&quot;type&quot;: &quot;object&quot;," in page
    assert not InboundTrigger.objects.exists()


def test_an_invalid_schema_and_service_errors_land_on_their_fields(admin_client):
    not_a_schema = admin_client.post(CREATE_URL, _form(payload_schema='{"type": 5}'))
    no_path = admin_client.post(CREATE_URL, _form(conversation_path="", tags="vip"))

    assert "This is not a valid JSON Schema" in not_a_schema.content.decode()
    form = no_path.context["form"]
    assert "conversation_path" in form.errors
    assert form["tags"].value() == "vip"
    assert not InboundTrigger.objects.exists()


def test_edit_keeps_the_secret_when_left_empty(admin_client, workspace):
    trigger = _trigger(workspace, secret="s3cret")

    response = admin_client.post(f"{LIST_URL}{trigger.pk}/edit/", _form(name="Renamed"))

    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.name == "Renamed"
    assert trigger.secret != "s3cret", "stored encrypted"
    assert decrypt_secret(token=trigger.secret) == "s3cret"


def test_regenerate_url_after_confirmation_voids_the_old_one(admin_client, workspace, client):
    trigger = _trigger(workspace)
    old_path = trigger.receive_path
    regenerate = f"{LIST_URL}{trigger.pk}/regenerate/"

    assert "will answer" in admin_client.get(regenerate).content.decode()
    admin_client.post(regenerate)

    trigger.refresh_from_db()
    assert trigger.receive_path != old_path
    assert client.post(old_path, "{}", content_type="application/json").status_code == 404


def test_delete_after_confirmation(admin_client, workspace):
    trigger = _trigger(workspace)

    assert admin_client.get(f"{LIST_URL}{trigger.pk}/delete/").status_code == 200
    response = admin_client.post(f"{LIST_URL}{trigger.pk}/delete/")

    assert response.status_code == 302
    assert not InboundTrigger.objects.exists()


def test_support_staff_see_triggers_but_cannot_change_them(support_client, workspace):
    trigger = _trigger(workspace)

    assert support_client.get(LIST_URL).status_code == 200
    detail = support_client.get(trigger.get_absolute_url())
    assert detail.status_code == 200
    assert "Regenerate URL" not in detail.content.decode()
    for path in (
        "new/",
        f"{trigger.pk}/edit/",
        f"{trigger.pk}/regenerate/",
        f"{trigger.pk}/delete/",
    ):
        assert support_client.get(f"{LIST_URL}{path}").status_code == 403
        assert support_client.post(f"{LIST_URL}{path}", _form()).status_code == 403
    assert InboundTrigger.objects.get().url_version == 1


def test_another_workspaces_trigger_is_404(admin_client, other_workspace):
    trigger = _trigger(other_workspace)

    for path in ("", "edit/", "regenerate/", "delete/"):
        assert admin_client.get(f"{LIST_URL}{trigger.pk}/{path}").status_code == 404
    assert admin_client.post(f"{LIST_URL}{trigger.pk}/delete/").status_code == 404
    assert "Existing" not in admin_client.get(LIST_URL).content.decode()
    assert InboundTrigger.objects.filter(pk=trigger.pk).exists()


def test_signed_out_visitors_are_sent_to_login(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
