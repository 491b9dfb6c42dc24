"""Website forms posted to a contact trigger: mapping, validation, honeypot, redirects, CORS."""

import pytest

from inbound.models import InboundReceipt
from inbox.models import Contact
from tests.support.inbound_triggers import rule_from_preset, rule_preset, trigger_from_preset


@pytest.fixture
def form_trigger(api_client, workspace, member):
    trigger = trigger_from_preset(
        workspace,
        "website_form",
        redirect_urls=["https://shop.example/thanks"],
        allowed_origins=["https://shop.example"],
    )
    rule = rule_preset("website_form")["rule"]
    rule["actions"][0]["assignee"] = member.pk
    rule_from_preset(api_client, trigger, "website_form", actions=rule["actions"])
    return trigger


def test_a_urlencoded_form_creates_the_contact_and_redirects_the_browser(
    client, form_trigger, member
):
    response = client.post(
        form_trigger.receive_path,
        "email=ada%40example.com&name=Ada+Lovelace&website=",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 303
    assert response["Location"] == "https://shop.example/thanks"
    contact = Contact.objects.get(email="ada@example.com")
    assert (contact.name, contact.assignee_id) == ("Ada Lovelace", member.pk)
    receipt = InboundReceipt.objects.get(trigger=form_trigger)
    assert receipt.http_status == 303 and receipt.payload["email"] == "ada@example.com"


def test_a_multipart_form_maps_its_fields_by_name(client, form_trigger):
    response = client.post(form_trigger.receive_path, {"email": "bo@example.com", "name": "Bo"})

    assert response.status_code == 303
    assert Contact.objects.filter(email="bo@example.com", name="Bo").exists()


def test_a_form_is_validated_against_the_shape_after_mapping(client, form_trigger):
    response = client.post(form_trigger.receive_path, {"name": "No email"})

    assert response.status_code == 422
    assert "email" in response.json()["detail"]
    assert not Contact.objects.exists()


def test_a_filled_honeypot_looks_accepted_but_does_nothing(client, form_trigger):
    response = client.post(
        form_trigger.receive_path, {"email": "bot@spam.example", "website": "http://spam"}
    )

    assert response.status_code == 303
    assert not Contact.objects.exists()
    receipt = InboundReceipt.objects.get(trigger=form_trigger)
    assert receipt.is_spam and receipt.rules == []


def test_without_redirect_urls_the_browser_gets_our_thank_you_page(client, workspace):
    trigger = trigger_from_preset(workspace, "website_form")

    response = client.post(trigger.receive_path, {"email": "cy@example.com"})

    assert response.status_code == 200
    assert b"Thank you" in response.content


def test_a_redirect_field_may_only_pick_an_allow_listed_url(client, form_trigger):
    response = client.post(
        form_trigger.receive_path,
        {"email": "di@example.com", "redirect": "https://evil.example/"},
    )

    assert response["Location"] == "https://shop.example/thanks"


def test_forms_post_to_contact_triggers_only(client, tag_trigger):
    response = client.post(tag_trigger.receive_path, {"order.conversation_id": "x"})

    assert response.status_code == 415


def test_cors_preflight_answers_only_allow_listed_origins(client, form_trigger):
    allowed = client.options(form_trigger.receive_path, HTTP_ORIGIN="https://shop.example")
    other = client.options(form_trigger.receive_path, HTTP_ORIGIN="https://evil.example")
    post = client.post(
        form_trigger.receive_path,
        {"email": "ed@example.com"},
        HTTP_ORIGIN="https://shop.example",
    )

    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in other
    assert post["Access-Control-Allow-Origin"] == "https://shop.example"


def test_redirect_urls_must_be_absolute_http_urls(workspace):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        trigger_from_preset(workspace, "website_form", redirect_urls=["javascript:alert(1)"])

    assert "redirect_urls" in refused.value.message_dict


def test_a_form_with_a_nul_character_is_a_400_with_a_receipt(client, form_trigger):
    response = client.post(
        form_trigger.receive_path,
        "email=a%00b%40example.com",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"
    assert not Contact.objects.exists()
    assert InboundReceipt.objects.get(trigger=form_trigger).http_status == 400


def test_a_broken_multipart_body_is_a_400(client, form_trigger):
    response = client.post(
        form_trigger.receive_path,
        b"--x\r\nnot a part",
        content_type="multipart/form-data; boundary=",
    )

    assert response.status_code == 400
    assert not Contact.objects.exists()
