"""Rotation with overlap: both secrets sign every request until the window ends, then only the
new one; verified on real deliveries with the `standardwebhooks` library and our own header."""

from datetime import timedelta

import pytest
import standardwebhooks
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from omniflow.crypto import body_signature as sign
from tests.support.webhook_events import emit_committed
from webhooks.engine import dispatch as engine
from webhooks.services import endpoint_create, endpoint_secret

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints"


def _verifies(secret: str, request) -> bool:
    """Tell whether a consumer holding `secret` accepts the request by either header."""
    try:
        standardwebhooks.Webhook(secret).verify(request.body, request.headers)
        standard = True
    except standardwebhooks.WebhookVerificationError:
        standard = False
    ours = sign(secret=secret, body=request.body) in (
        request.headers.get("X-Omniflow-Signature"),
        request.headers.get("X-Omniflow-Signature-Previous"),
    )
    assert standard == ours, "both headers must agree"
    return standard


def _deliver_one(workspace, receiver, resource_id: int):
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=resource_id)
    engine.deliveries_dispatch()
    return receiver.received()[-1]


def test_the_old_secret_verifies_inside_the_overlap_and_not_after(
    api_client, workspace, receiver, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    old = endpoint_secret(endpoint=endpoint)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        rotated = api_client.post(
            f"{ENDPOINTS}/{endpoint.id}/rotate-secret", {"overlap_hours": 48}, format="json"
        )
        assert rotated.status_code == 200, rotated.json()
        new = rotated.json()["secret"]
        shown = api_client.get(f"{ENDPOINTS}/{endpoint.id}").json()
        during = _deliver_one(workspace, receiver, 1)
        # The consumer checks on receipt (the library refuses timestamps 5 minutes off).
        assert _verifies(old, during) and _verifies(new, during)

    assert shown["previous_secret"] == f"whsec_…{old[-4:]}"
    assert parse_datetime(shown["previous_secret_expires_at"]) == start + timedelta(hours=48)
    assert parse_datetime(shown["secret_created_at"]) == start
    assert parse_datetime(shown["previous_secret_created_at"]) == endpoint.created_at
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert during.headers["X-Omniflow-Signature"] == sign(secret=new, body=during.body)

    with time_machine.travel(start + timedelta(hours=47, minutes=59), tick=False):
        still = _deliver_one(workspace, receiver, 2)
        assert _verifies(old, still)

    with time_machine.travel(start + timedelta(hours=48, seconds=1), tick=False):
        after = _deliver_one(workspace, receiver, 3)
        shown_after = api_client.get(f"{ENDPOINTS}/{endpoint.id}").json()
        assert not _verifies(old, after) and _verifies(new, after)
    assert "X-Omniflow-Signature-Previous" not in after.headers
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert shown_after["previous_secret"] is None
    assert shown_after["previous_secret_expires_at"] is None


def test_an_admin_can_end_the_overlap_early_over_the_api(
    api_client, workspace, receiver, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    old = endpoint_secret(endpoint=endpoint)
    new = api_client.post(f"{ENDPOINTS}/{endpoint.id}/rotate-secret").json()["secret"]
    assert _verifies(old, _deliver_one(workspace, receiver, 1))  # default: 24 h of overlap

    ended = api_client.post(f"{ENDPOINTS}/{endpoint.id}/end-secret-overlap")

    assert ended.status_code == 200
    assert ended.json()["previous_secret"] is None
    request = _deliver_one(workspace, receiver, 2)
    assert not _verifies(old, request) and _verifies(new, request)


@pytest.mark.parametrize("hours", [-1, 169, "a day"])
def test_an_overlap_outside_0_to_7_days_is_refused(api_client, workspace, hours):
    endpoint = endpoint_create(
        workspace=workspace, url="https://93.184.215.14/", event_types=["ticket.created"]
    )
    old = endpoint_secret(endpoint=endpoint)

    response = api_client.post(
        f"{ENDPOINTS}/{endpoint.id}/rotate-secret", {"overlap_hours": hours}, format="json"
    )

    assert response.status_code == 400
    assert "overlap_hours" in response.json()["errors"]
    endpoint.refresh_from_db()
    assert endpoint_secret(endpoint=endpoint) == old


def test_no_overlap_replaces_the_secret_at_once(
    api_client, workspace, receiver, allow_private_urls
):
    endpoint = endpoint_create(
        workspace=workspace, url=receiver.url(), event_types=["ticket.created"]
    )
    old = endpoint_secret(endpoint=endpoint)

    api_client.post(f"{ENDPOINTS}/{endpoint.id}/rotate-secret", {"overlap_hours": 0}, format="json")

    assert not _verifies(old, _deliver_one(workspace, receiver, 1))


def test_the_page_rotates_with_the_chosen_overlap_shows_it_and_ends_it(admin_client, workspace):
    endpoint = endpoint_create(
        workspace=workspace, url="https://93.184.215.14/", event_types=["ticket.created"]
    )
    old = endpoint_secret(endpoint=endpoint)

    confirm = admin_client.get(f"/settings/webhooks/{endpoint.id}/secret/rotate/").content.decode()
    admin_client.post(f"/settings/webhooks/{endpoint.id}/secret/rotate/", {"overlap_hours": "72"})
    page = admin_client.get(f"/settings/webhooks/{endpoint.id}/").content.decode()

    assert 'name="overlap_hours"' in confirm and "7 days" in confirm
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_expires_at == endpoint.secret_created_at + timedelta(hours=72)
    assert f'<code id="masked-previous-secret">whsec_…{old[-4:]}</code>' in page
    assert endpoint.previous_secret_expires_at.strftime("%Y-%m-%d %H:%M:%S UTC") in page
    assert 'id="secret-age"' in page

    admin_client.post(f"/settings/webhooks/{endpoint.id}/secret/end-overlap/")
    page = admin_client.get(f"/settings/webhooks/{endpoint.id}/").content.decode()

    assert 'id="secret-overlap"' not in page
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_encrypted == ""
