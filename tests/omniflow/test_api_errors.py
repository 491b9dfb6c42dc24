import pytest
from django.test import override_settings

from inbox.models import Ticket

URL = "/api/v1/tickets"


def _problem(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == type_
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


@pytest.mark.django_db
def test_malformed_json_is_a_400_parse_error(api_client):
    response = api_client.post(URL, '{"subject": ', content_type="application/json")

    _problem(response, 400, "parse_error")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        '{"subject": NaN}',
        '{"subject": "x", "tags": Infinity}',
        "[" * 100_000 + "]" * 100_000,
        b'{"subject": "\xff\xfe"}',
        '{"subject": "x", "description": 1e400}',
        '{"subject": "lone \\ud800 surrogate"}',
        '{"subject": "x", "tags": {"\\udfff": 1}}',
    ],
)
def test_json_python_would_accept_or_choke_on_is_a_400(api_client, raw):
    response = api_client.post(URL, raw, content_type="application/json")

    _problem(response, 400, "parse_error")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['["a list"]', '"a string"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_400(api_client, body):
    response = api_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_non_json_body_is_a_415(api_client):
    response = api_client.post(URL, "subject=hi", content_type="application/x-www-form-urlencoded")

    _problem(response, 415, "unsupported_media_type")
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_413_before_anything_happens(api_client):
    huge = '{"subject": "x", "description": "' + "a" * (1024 * 1024) + '"}'

    response = api_client.post(URL, huge, content_type="application/json")

    _problem(response, 413, "payload_too_large")
    assert not Ticket.objects.exists()


@pytest.mark.django_db
@override_settings(OMNIFLOW_API_MAX_BODY_BYTES=10_000_000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_djangos_own_upload_limit_is_a_json_413_not_a_500(api_client):
    body = '{"subject": "x", "description": "' + "a" * 2000 + '"}'

    response = api_client.post(URL, body, content_type="application/json")

    _problem(response, 413, "payload_too_large")


@pytest.mark.django_db
@override_settings(OMNIFLOW_API_MAX_BODY_BYTES=100)
def test_the_limit_is_a_setting(api_client):
    small = api_client.post(URL, {"subject": "x"}, format="json")
    large = api_client.post(URL, {"subject": "x" * 200}, format="json")

    assert small.status_code == 201
    _problem(large, 413, "payload_too_large")


@pytest.mark.django_db
def test_an_unsupported_method_is_a_405(api_client):
    _problem(api_client.delete(URL), 405, "method_not_allowed")
    _problem(api_client.put("/api/v1/contacts", {}, format="json"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_an_unknown_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/nothing-here")

    _problem(response, 404, "not_found")


@pytest.mark.django_db
def test_a_huge_id_in_the_path_is_a_404(api_client):
    _problem(api_client.get(f"{URL}/{10**40}"), 404, "not_found")


@pytest.mark.django_db
def test_an_invalid_cursor_is_a_404_not_a_500(api_client):
    assert api_client.get(f"{URL}?cursor=garbage").status_code == 404


@pytest.mark.django_db
def test_no_key_is_a_401(client):
    response = client.get(URL)

    _problem(response, 401, "authentication_required")


@pytest.mark.django_db
def test_a_validation_error_lists_every_field(api_client):
    response = api_client.post(URL, {"priority": "now", "status": 3}, format="json")

    body = _problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"subject", "priority", "status"}


def _cursor(position: str) -> str:
    import base64
    from urllib.parse import quote

    return quote(base64.b64encode(f"p={position}".encode()).decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "position", "status"),
    [
        (URL, "not-a-number", 404),
        (URL, "9" * 40, 200),  # out of range of ids: past every row
        ("/api/v1/conversations/{id}/trace", "not-a-time", 404),
    ],
)
def test_a_forged_cursor_is_never_a_500(api_client, workspace, url, position, status):
    from tests.factories import ConversationFactory

    conversation = ConversationFactory(workspace=workspace)

    response = api_client.get(f"{url.format(id=conversation.pk)}?cursor={_cursor(position)}")

    assert response.status_code == status
