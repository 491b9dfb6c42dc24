"""Finding a delivery by what people quote: an event id, a delivery id, a resource.

Through the API's `search` filter (a real key) and the search box of Settings → Deliveries.
"""

import pytest

from tests.webhooks.pages import LOG_URL, make_delivery, make_endpoint
from webhooks.filters import SearchInvalid, parse_search
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/webhook-deliveries"


@pytest.fixture
def log(workspace, other_workspace):
    """Deliveries of two endpoints of `workspace`, and one of another workspace's."""
    a = make_endpoint(workspace, url="https://a.example.com/")
    ticket_8_to_a = make_delivery(a, status="succeeded", resource_id=8)
    b = make_endpoint(workspace, url="https://b.example.com/")
    ticket_7_to_a = make_delivery(a, status="failed", resource_id=7)
    ticket_7_to_b = WebhookDelivery.objects.get(event=ticket_7_to_a.event, endpoint=b)
    other = make_delivery(make_endpoint(other_workspace), status="failed", resource_id=7)
    return {
        "ticket_7_to_a": ticket_7_to_a,
        "ticket_7_to_b": ticket_7_to_b,
        "ticket_8_to_a": ticket_8_to_a,
        "other": other,
    }


def _api_ids(api_client, **query) -> set[int]:
    response = api_client.get(DELIVERIES, query)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_api_finds_the_deliveries_of_an_event_id(api_client, log):
    event_id = log["ticket_7_to_a"].event.public_id

    assert _api_ids(api_client, search=event_id) == {
        log["ticket_7_to_a"].id,
        log["ticket_7_to_b"].id,
    }


def test_api_finds_a_delivery_by_its_id(api_client, log):
    delivery = log["ticket_8_to_a"]

    assert _api_ids(api_client, search=str(delivery.id)) == {delivery.id}
    assert _api_ids(api_client, search=f"#{delivery.id}") == {delivery.id}


@pytest.mark.parametrize("text", ["ticket:7", "ticket 7", "ticket #7", " ticket: 7 "])
def test_api_finds_the_deliveries_of_a_resource(api_client, log, text):
    assert _api_ids(api_client, search=text) == {
        log["ticket_7_to_a"].id,
        log["ticket_7_to_b"].id,
    }


def test_api_search_combines_with_the_other_filters(api_client, log):
    found = _api_ids(api_client, search="ticket:7", endpoint=log["ticket_7_to_b"].endpoint_id)

    assert found == {log["ticket_7_to_b"].id}


def test_api_search_never_finds_another_workspaces_deliveries(api_client, log):
    other = log["other"]

    assert _api_ids(api_client, search=other.event.public_id) == set()
    assert _api_ids(api_client, search=str(other.id)) == set()
    assert other.id not in _api_ids(api_client, search="ticket:7")


@pytest.mark.parametrize(
    "text, message",
    [
        ("evt_123", "24 lowercase hexadecimal"),
        ("evt_" + "g" * 24, "24 lowercase hexadecimal"),
        ("9" * 30, "at most 18 digits"),
        ("tciket:7", "Unknown resource type 'tciket'"),
        ("ticket:" + "1" * 65, "1 to 64 visible characters"),
        ("EVT_" + "ab" * 12, "24 lowercase hexadecimal"),
        ("what did we send?", "Search by an event id"),
        ("x" * 129, "no more than 128"),
    ],
)
def test_api_malformed_search_is_a_problem_with_the_field_named(api_client, text, message):
    response = api_client.get(DELIVERIES, {"search": text})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert message in " ".join(response.json()["errors"]["search"])


def test_api_search_naming_another_resource_than_the_filter_is_a_problem(api_client):
    response = api_client.get(
        DELIVERIES, {"search": "ticket:7", "resource_type": "ticket", "resource_id": "8"}
    )

    # Two parameters that disagree: a rule across them no schema states (schemathesis: a 400).
    assert response.status_code == 422
    assert "resource_id" in response.json()["errors"]["search"][0]


def test_page_search_with_one_match_lands_on_the_delivery(admin_client, log):
    delivery = log["ticket_8_to_a"]

    for text in (str(delivery.id), delivery.event.public_id, "ticket 8"):
        response = admin_client.get(LOG_URL, {"search": text})

        assert response.status_code == 302
        assert response["Location"] == f"/settings/deliveries/{delivery.id}/"


def test_page_search_with_several_matches_lists_them(admin_client, log):
    response = admin_client.get(LOG_URL, {"search": log["ticket_7_to_a"].event.public_id})

    page = response.content.decode()
    shown = {name for name, d in log.items() if f'data-delivery-id="{d.id}"' in page}
    assert response.status_code == 200
    assert shown == {"ticket_7_to_a", "ticket_7_to_b"}
    # A search lists single deliveries: bulk replay is not offered for it.
    assert "Replay all failed" not in page


def test_page_search_never_finds_another_workspaces_deliveries(admin_client, log):
    other = log["other"]

    for text in (str(other.id), other.event.public_id):
        response = admin_client.get(LOG_URL, {"search": text})

        assert response.status_code == 200
        assert f'data-delivery-id="{other.id}"' not in response.content.decode()
        assert "No deliveries match these filters." in response.content.decode()


def test_page_malformed_search_re_renders_the_form_with_the_reason(admin_client):
    response = admin_client.get(LOG_URL, {"search": "evt_nope"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "24 lowercase hexadecimal characters" in page
    assert 'value="evt_nope"' in page
    assert "Fix the filters above" in page


def test_bulk_replay_page_ignores_a_search_carried_in_its_link(admin_client, log):
    response = admin_client.get(
        "/settings/deliveries/replay-failed/", {"search": log["ticket_7_to_a"].event.public_id}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "text, expected",
    [
        ("evt_" + "ab" * 12, {"event_id": "evt_" + "ab" * 12}),
        ("  42 ", {"delivery_id": 42}),
        ("training_attempt:ta-9", {"resource_type": "training_attempt", "resource_id": "ta-9"}),
        ("ticket:AbC", {"resource_type": "ticket", "resource_id": "AbC"}),
    ],
)
def test_parse_search_reads_each_form(text, expected):
    assert parse_search(text) == expected


def test_parse_search_refuses_an_empty_resource_id():
    with pytest.raises(SearchInvalid):
        parse_search("ticket:")
