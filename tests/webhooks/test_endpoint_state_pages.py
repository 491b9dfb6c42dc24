"""Endpoint state on the Settings pages and in the API: badges, pause/resume, history, banner."""

from datetime import UTC, datetime

import pytest

from tests.support.webhook_events import emit_committed
from webhooks import health
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(workspace, allow_private_urls):
    return endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/hook", event_types=["ticket.created"]
    )


def _page(client, endpoint) -> str:
    return client.get(f"/settings/webhooks/{endpoint.id}/").content.decode()


def test_an_admin_pauses_and_resumes_from_the_endpoint_page(admin_client, endpoint, workspace):
    assert 'name="pause"' in _page(admin_client, endpoint)
    emit_committed(workspace=workspace, event_type="ticket.created", resource_id=1)

    paused = admin_client.post(f"/settings/webhooks/{endpoint.id}/pause/", follow=True)

    page = paused.content.decode()
    assert 'data-state="paused"' in page and 'name="resume"' in page
    assert "held (1 now)" in page
    assert 'data-history-kind="paused"' in page
    assert list(endpoint.deliveries.values_list("status", flat=True)) == ["held"]
    listing = admin_client.get("/settings/webhooks/").content.decode()
    assert 'data-state="paused"' in listing and "1 held" in listing

    resumed = admin_client.post(f"/settings/webhooks/{endpoint.id}/resume/", follow=True)

    page = resumed.content.decode()
    assert 'data-state="active"' in page and 'data-history-kind="resumed"' in page
    assert list(endpoint.deliveries.values_list("status", flat=True)) == ["pending"]


def test_support_staff_can_neither_pause_nor_resume(support_client, endpoint):
    assert 'name="pause"' not in _page(support_client, endpoint)

    assert support_client.post(f"/settings/webhooks/{endpoint.id}/pause/").status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.state == "active"


def test_the_settings_pages_show_a_banner_while_an_endpoint_is_disabled(admin_client, endpoint):
    health.endpoint_disable(
        endpoint_id=endpoint.id, reason="The endpoint answered 410 Gone.", now=datetime.now(UTC)
    )

    for url in ["/settings/", "/settings/deliveries/", "/settings/api-keys/"]:
        page = admin_client.get(url).content.decode()
        assert f'data-disabled-endpoint="{endpoint.id}"' in page, url
        assert "The endpoint answered 410 Gone." in page
    detail = _page(admin_client, endpoint)
    assert 'data-history-kind="disabled"' in detail and 'name="resume"' in detail

    health.endpoint_resume(endpoint=endpoint, actor="admin@example.com")

    assert "data-disabled-endpoint" not in admin_client.get("/settings/").content.decode()


def test_the_api_shows_the_state_and_its_history(api_client, endpoint):
    body = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}").json()
    assert (body["state"], body["state_reason"], body["enabled"]) == ("active", "", True)

    paused = api_client.post(f"/api/v1/webhook-endpoints/{endpoint.id}/pause").json()
    again = api_client.post(f"/api/v1/webhook-endpoints/{endpoint.id}/pause").json()

    assert paused["state"] == again["state"] == "paused"
    assert paused["state_changed_at"] is not None
    history = api_client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/history").json()
    (entry,) = history["results"]  # pausing twice is one change
    assert entry["kind"] == "paused" and entry["actor"].startswith("api_key:")
    # The older spelling still works: enabled=true resumes.
    resumed = api_client.patch(
        f"/api/v1/webhook-endpoints/{endpoint.id}", {"enabled": True}, format="json"
    )
    assert resumed.json()["state"] == "active"


def test_pause_needs_the_webhooks_scope_and_the_endpoint_of_its_workspace(
    endpoint, other_workspace, client_for
):
    reader = client_for(endpoint.workspace, scopes=["webhooks:read"])
    stranger = client_for(other_workspace)

    assert reader.post(f"/api/v1/webhook-endpoints/{endpoint.id}/pause").status_code == 403
    assert stranger.post(f"/api/v1/webhook-endpoints/{endpoint.id}/pause").status_code == 404
    assert stranger.get(f"/api/v1/webhook-endpoints/{endpoint.id}/history").status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.state == "active"
