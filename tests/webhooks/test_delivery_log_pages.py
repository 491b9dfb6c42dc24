"""Settings → Deliveries: the log, its filters and pages, and one delivery's detail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.webhook_events import emit_committed
from tests.webhooks.pages import LOG_URL, make_delivery, make_endpoint
from webhooks.engine import dispatch as engine
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "failed"}, {"failed_a"}),
        ({"endpoint": "B"}, {"succeeded_b"}),
        ({"event_type": "ticket.status_changed"}, {"failed_a"}),
        ({"resource_type": "ticket", "resource_id": "2"}, {"succeeded_b"}),
        ({}, {"failed_a", "succeeded_b", "old_a"}),
    ],
)
def test_log_filters(admin_client, workspace, query, expected):
    a = make_endpoint(
        workspace,
        url="https://a.example.com/",
        event_types=["ticket.status_changed", "conversation.created"],
    )
    b = make_endpoint(workspace, url="https://b.example.com/")
    deliveries = {
        "failed_a": make_delivery(
            a, status="failed", resource_id=1, event_type="ticket.status_changed"
        ),
        "succeeded_b": make_delivery(b, status="succeeded", resource_id=2),
        "old_a": make_delivery(
            a, status="succeeded", resource_id=3, event_type="conversation.created"
        ),
    }
    if "endpoint" in query:
        query = {"endpoint": str(b.id)}

    page = admin_client.get(LOG_URL, query).content.decode()

    shown = {name for name, d in deliveries.items() if f'data-delivery-id="{d.id}"' in page}
    assert shown == expected


def test_log_filters_by_time_range(admin_client, workspace):
    endpoint = make_endpoint(workspace)
    old = make_delivery(endpoint, resource_id=1)
    recent = make_delivery(endpoint, resource_id=2)
    WebhookDelivery.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    page = admin_client.get(LOG_URL, {"created_after": since}).content.decode()

    assert f'data-delivery-id="{recent.id}"' in page
    assert f'data-delivery-id="{old.id}"' not in page
    assert f'value="{since}"' in page  # the filter stays filled in


def test_log_shows_filter_errors_instead_of_a_wrong_list(admin_client, workspace):
    endpoint = make_endpoint(workspace)
    delivery = make_delivery(endpoint)

    page = admin_client.get(LOG_URL, {"status": "lost", "created_after": "soon"}).content.decode()

    assert "Select a valid choice." in page and "Enter a valid date/time." in page
    assert f'data-delivery-id="{delivery.id}"' not in page


def test_log_pages_are_stable_while_new_deliveries_arrive(admin_client, workspace, monkeypatch):
    monkeypatch.setattr("webhooks.delivery_views.LOG_PAGE_SIZE", 2)
    endpoint = make_endpoint(workspace)
    ids = [make_delivery(endpoint, resource_id=n).id for n in range(5)]

    first = admin_client.get(LOG_URL)
    make_delivery(endpoint, resource_id=99)  # arrives between two page views
    second = admin_client.get(LOG_URL + first.context["older_url"])
    third = admin_client.get(LOG_URL + second.context["older_url"])
    back = admin_client.get(LOG_URL + third.context["newer_url"])

    def shown(response):
        return [d.id for d in response.context["page"].deliveries]

    assert shown(first) == [ids[4], ids[3]]
    assert shown(second) == [ids[2], ids[1]]
    assert shown(third) == [ids[0]]
    assert "older_url" not in third.context
    assert shown(back) == [ids[2], ids[1]]


def test_log_lists_only_the_current_workspaces_deliveries(admin_client, workspace, other_workspace):
    ours = make_delivery(make_endpoint(workspace))
    theirs = make_delivery(make_endpoint(other_workspace, url="https://theirs.example.com/"))

    page = admin_client.get(LOG_URL).content.decode()

    assert f'data-delivery-id="{ours.id}"' in page
    assert f'data-delivery-id="{theirs.id}"' not in page
    # Filtering by their endpoint's id is refused, not answered with their rows.
    page = admin_client.get(LOG_URL, {"endpoint": theirs.endpoint_id}).content.decode()
    assert "Select a valid choice." in page
    assert f'data-delivery-id="{theirs.id}"' not in page


def test_detail_shows_the_event_body_and_every_attempt(
    support_client, workspace, receiver, allow_private_urls
):
    receiver.behaviour = lambda number, request: (500 if number == 1 else 200, {})
    endpoint = make_endpoint(workspace, url=receiver.url())
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=5, subject="Hi")
    engine.deliveries_dispatch()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    engine.deliveries_dispatch()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    response = support_client.get(f"/settings/deliveries/{delivery.id}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="badge succeeded">Succeeded</span>' in page
    assert delivery.event.public_id in page
    assert "&quot;subject&quot;: &quot;Hi&quot;" in page  # pretty-printed JSON
    assert page.count('class="attempt"') == 2
    assert "500 from the endpoint." in page
    assert "X-Omniflow-Signature" in page  # request headers
    assert "{&quot;error&quot;: &quot;nope&quot;}" in page  # the response body excerpt
    assert "ms</h3>" in page


def test_another_workspaces_delivery_is_404(admin_client, other_workspace):
    foreign = make_delivery(make_endpoint(other_workspace))

    assert admin_client.get(f"/settings/deliveries/{foreign.id}/").status_code == 404
    assert admin_client.post(f"/settings/deliveries/{foreign.id}/replay/").status_code == 404
    assert WebhookDelivery.objects.count() == 1
