"""The Settings overview answers "is everything flowing?": deliveries and failures of the last
24 h, endpoints failing or disabled, triggers rejecting, keys near their limits, each linking to
the page that lists them."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apikeys.usage import refused_counter_key
from tests.factories import make_api_key
from tests.support.inbound_triggers import make_tag_trigger, post_json
from tests.support.webhook_events import emit_committed
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def busy_workspace(workspace, client):
    failing = endpoint_create(
        workspace=workspace, url="https://failing.example.com/in", event_types=["ticket.created"]
    )
    endpoint_create(
        workspace=workspace,
        url="https://off.example.com/in",
        event_types=["ticket.created"],
        enabled=False,
    )
    for resource_id in range(4):
        emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource_id)
    deliveries = list(WebhookDelivery.objects.filter(endpoint=failing).order_by("id"))
    WebhookDelivery.objects.filter(id__in=[d.id for d in deliveries[:2]]).update(status="failed")
    WebhookDelivery.objects.filter(id=deliveries[2].id).update(
        status="failed", created_at=timezone.now() - timedelta(days=3)
    )
    trigger = make_tag_trigger(workspace)
    post_json(client, trigger, {"order": {"conversation_id": "nope"}})
    limited, _ = make_api_key(workspace, name="Busy CRM sync")
    cache.set(refused_counter_key(key_id=limited.pk), 12)
    make_api_key(workspace, name="Old import", expires_at=timezone.now() + timedelta(days=2))
    make_api_key(workspace, name="Quiet key")
    return {"failing": failing, "trigger": trigger, "limited": limited}


def test_the_overview_shows_each_kind_of_trouble_with_a_link_to_it(admin_client, busy_workspace):
    page = admin_client.get("/settings/").content.decode()

    assert "Is everything flowing?" in page
    # Seven deliveries in 24 h (one from three days ago is not counted), two failed, and the
    # four of the disabled endpoint held.
    assert '<strong class="figure ">7</strong> sent or queued' in page
    assert '<strong class="figure warn">4</strong> held for paused or disabled endpoints' in page
    assert '<strong class="figure bad">2</strong> failed' in page
    assert "/settings/deliveries/?status=failed&amp;created_after=" in page
    assert f'href="/settings/webhooks/{busy_workspace["failing"].id}/"' in page
    assert ">2 failing</span>" in page
    assert ">paused</span>" in page  # the one created not enabled starts paused
    assert ">1 of 1 rejected</span>" in page and "Shop: order shipped" in page
    assert f'href="/settings/api-keys/{busy_workspace["limited"].pk}/"' in page
    assert ">12 refused today (429)</span>" in page
    assert ">expires in 1 day</span>" in page or ">expires in 2 days</span>" in page
    assert "Quiet key" not in page


def test_support_staff_see_the_flow_but_not_the_keys(support_client, busy_workspace):
    page = support_client.get("/settings/").content.decode()

    assert '<strong class="figure bad">2</strong> failed' in page
    assert "API keys</h3>" not in page and "Busy CRM sync" not in page
