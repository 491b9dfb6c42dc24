"""The trigger form shows the chosen resource's fields; paths follow the shape; the curl
example on a trigger's page posts a sample body that succeeds."""

import html
import json
import os
import re
import subprocess
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from inbound.models import InboundTrigger
from inbound.services import trigger_create
from inbox.models import Contact
from tests.factories import ConversationFactory, make_api_key
from tests.support.inbound_triggers import ORDER_SCHEMA

CREATE_URL = "/settings/inbound/new/"
LIST = "/api/v1/inbound-triggers"
CONTACT_SCHEMA = {
    "type": "object",
    "required": ["customer"],
    "properties": {
        "customer": {
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "name": {"type": "string"},
            },
        }
    },
}


def _form(**overrides) -> dict:
    form = {
        "name": "Website form",
        "resource": "contact",
        "payload_schema": json.dumps(CONTACT_SCHEMA),
        "conversation_match": "external_id",
        "conversation_path": "",
        "tags": "",
        "event_name": "",
        "contact_email_path": "customer.email",
        "contact_external_id_path": "",
        "contact_name_path": "customer.name",
        "assignee": "",
        "idempotency_path": "",
        "secret": "",
        "enabled": "on",
    }
    form.update(overrides)
    return form


def _shown_fields(page: str) -> set[str]:
    """Return the names of the form's inputs whose row is not hidden."""
    shown = set()
    for chunk in page.split('<div class="form-row"')[1:]:
        attributes, body = chunk.split(">", 1)
        if " hidden" not in attributes:
            shown.update(re.findall(r'name="([a-z_]+)"', body))
    return shown - {"show_fields"}


ACTION_FIELDS = {
    "conversation_match",
    "conversation_path",
    "tags",
    "event_name",
    "contact_email_path",
    "contact_external_id_path",
    "contact_name_path",
    "assignee",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("conversation", {"conversation_match", "conversation_path", "tags"}),
        ("ticket", {"conversation_match", "conversation_path"}),
        ("custom_event", {"conversation_match", "conversation_path", "event_name"}),
        (
            "contact",
            {"contact_email_path", "contact_external_id_path", "contact_name_path", "assignee"},
        ),
    ],
)
def test_without_javascript_the_form_redraws_with_the_chosen_resources_fields(
    admin_client, resource, expected
):
    response = admin_client.post(
        CREATE_URL, {**_form(resource=resource, name="Keep me"), "show_fields": "1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert _shown_fields(page) & ACTION_FIELDS == expected
    assert {"name", "resource", "payload_schema", "idempotency_path", "secret"} <= _shown_fields(
        page
    )
    assert 'value="Keep me"' in page
    assert 'class="errorlist' not in page  # a redraw, not a failed save
    assert not InboundTrigger.objects.exists()


@pytest.mark.django_db
def test_a_new_form_shows_the_conversation_fields_first(admin_client):
    page = admin_client.get(CREATE_URL).content.decode()

    assert _shown_fields(page) & ACTION_FIELDS == {
        "conversation_match",
        "conversation_path",
        "tags",
    }
    assert "/static/js/trigger-form.js" in page


@pytest.mark.django_db
def test_fields_of_another_resource_are_not_saved(admin_client, workspace):
    response = admin_client.post(
        CREATE_URL, _form(tags="vip", event_name="order.shipped", conversation_path="customer")
    )

    assert response.status_code == 302
    trigger = InboundTrigger.objects.get(workspace=workspace)
    assert (trigger.resource, trigger.tags, trigger.event_name) == ("contact", [], "")
    assert trigger.conversation_path == ""
    assert trigger.contact_email_path == "customer.email"


@pytest.mark.django_db
def test_a_path_not_in_the_declared_shape_is_refused_by_the_form_and_the_api(
    admin_client, api_client
):
    form = admin_client.post(CREATE_URL, _form(contact_email_path="customer.emial"))
    api = api_client.post(
        LIST,
        {
            "name": "Typo",
            "resource": "conversation",
            "payload_schema": ORDER_SCHEMA,
            "conversation_path": "order.conversation",
            "tags": ["shipped"],
        },
        format="json",
    )

    assert form.status_code == 200
    assert "&#x27;customer.emial&#x27; is not in the JSON shape" in form.content.decode()
    assert "contact_email_path" in form.context["form"].errors
    # The path against the shape: a rule across fields no schema states.
    assert (api.status_code, api.json()["type"]) == (422, "unprocessable")
    assert "is not in the JSON shape" in api.json()["errors"]["conversation_path"][0]
    assert not InboundTrigger.objects.exists()


@pytest.mark.django_db
def test_paths_into_an_undescribed_object_or_an_array_item_are_accepted(workspace):
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Lines",
        resource="conversation",
        payload_schema={
            "type": "object",
            "properties": {
                "lines": {"type": "array", "items": {"type": "object", "properties": {"ref": {}}}},
                "meta": {"type": "object"},
            },
        },
        conversation_path="lines.0.ref",
        idempotency_path="meta.anything.below",
        tags=["x"],
    )

    assert trigger.conversation_path == "lines.0.ref"


def _curl_example(admin_client, trigger, live_server) -> str:
    host = urlsplit(live_server.url).netloc
    page = admin_client.get(trigger.get_absolute_url(), HTTP_HOST=host).content.decode()
    return html.unescape(re.search(r'<pre id="curl-example">(.*?)</pre>', page, re.S).group(1))


def _run(script: str, **env) -> tuple[int, dict]:
    """Run the page's example in bash with curl; return the HTTP status and JSON answer."""
    result = subprocess.run(
        ["bash", "-c", script.replace("curl -X POST", "curl -sS -w '\\n%{http_code}' -X POST")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    body, status = result.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


@pytest.mark.django_db(transaction=True)
def test_the_curl_example_posts_a_sample_of_the_shape_that_succeeds(
    admin_client, workspace, live_server
):
    conversation = ConversationFactory(workspace=workspace, external_id="shop-order-42")
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop: order shipped",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
        secret="s3cret",
    )

    example = _curl_example(admin_client, trigger, live_server)
    status, answer = _run(example, SECRET="s3cret")

    body = json.loads(re.match(r"BODY='(.*)'\n", example).group(1))
    assert body == {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}
    assert (status, answer["status"]) == (200, "accepted"), answer
    assert list(conversation.tags.values_list("name", flat=True)) == ["shipped"]


@pytest.mark.django_db(transaction=True)
def test_a_contact_triggers_sample_creates_a_contact(admin_client, workspace, live_server):
    admin_client.post(CREATE_URL, _form())
    trigger = InboundTrigger.objects.get(workspace=workspace)

    status, answer = _run(_curl_example(admin_client, trigger, live_server))

    assert status == 200, answer
    contact = Contact.objects.get(workspace=workspace)
    assert (contact.email, contact.name) == ("person@example.com", "Example Person")


@pytest.mark.django_db
def test_the_page_says_when_no_conversation_exists_for_the_sample(admin_client, workspace):
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )

    page = admin_client.get(trigger.get_absolute_url()).content.decode()

    assert 'id="sample-needs-conversation"' in page


@pytest.mark.django_db
def test_regenerate_url_over_the_api_voids_the_old_url(api_client, client, workspace, conversation):
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Shop",
        resource="conversation",
        payload_schema=ORDER_SCHEMA,
        conversation_path="order.conversation_id",
        tags=["shipped"],
    )
    old_path = trigger.receive_path
    read_only = APIClient()
    read_only.credentials(
        HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=['inbound:read'])[1]}"
    )

    refused = read_only.post(f"{LIST}/{trigger.pk}/regenerate-url")
    response = api_client.post(f"{LIST}/{trigger.pk}/regenerate-url")

    assert refused.status_code == 403
    assert response.status_code == 200
    new_url = response.json()["url"]
    assert new_url != f"http://testserver{old_path}"
    payload = {"order": {"conversation_id": "shop-order-42", "status": "shipped"}}
    assert (
        client.post(old_path, json.dumps(payload), content_type="application/json").status_code
        == 404
    )
    new_path = urlsplit(new_url).path
    assert (
        client.post(new_path, json.dumps(payload), content_type="application/json").status_code
        == 200
    )


@pytest.mark.django_db
def test_a_self_referencing_shape_gives_a_bounded_sample_and_a_page(admin_client, workspace):
    shape = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 1000000},
                    "left": {"$ref": "#/$defs/node"},
                    "right": {"$ref": "#/$defs/node"},
                },
            }
        },
        "allOf": [{"$ref": "#/$defs/node"}, {"$ref": "#"}],
    }
    trigger = trigger_create(
        workspace=workspace,
        created_by=None,
        name="Tree",
        resource="contact",
        payload_schema=shape,
        contact_external_id_path="left.left.id",
    )

    response = admin_client.get(trigger.get_absolute_url())

    assert response.status_code == 200
    assert len(response.content) < 100_000
