"""Settings → Webhooks: who may see and change which endpoint, and the pages' links."""

import pytest

from tests.webhooks.pages import CREATE_URL, LIST_URL, LOG_URL, make_delivery, make_endpoint
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_secret

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", CREATE_URL),
        ("post", CREATE_URL),
        ("get", "/settings/webhooks/{pk}/edit/"),
        ("post", "/settings/webhooks/{pk}/edit/"),
        ("get", "/settings/webhooks/{pk}/delete/"),
        ("post", "/settings/webhooks/{pk}/delete/"),
        ("post", "/settings/webhooks/{pk}/secret/reveal/"),
        ("get", "/settings/webhooks/{pk}/secret/rotate/"),
        ("post", "/settings/webhooks/{pk}/secret/rotate/"),
    ],
)
def test_support_staff_get_403_on_admin_actions(support_client, workspace, method, url):
    endpoint = make_endpoint(workspace)
    secret = endpoint_secret(endpoint=endpoint)
    data = {"url": "https://evil.example.com/", "event_types": ["ticket.created"]}

    response = getattr(support_client, method)(url.format(pk=endpoint.id), data)

    assert response.status_code == 403
    assert secret not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/in"
    assert endpoint_secret(endpoint=endpoint) == secret
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/settings/webhooks/{pk}/"),
        ("get", "/settings/webhooks/{pk}/edit/"),
        ("post", "/settings/webhooks/{pk}/edit/"),
        ("get", "/settings/webhooks/{pk}/delete/"),
        ("post", "/settings/webhooks/{pk}/delete/"),
        ("post", "/settings/webhooks/{pk}/secret/reveal/"),
        ("post", "/settings/webhooks/{pk}/secret/rotate/"),
    ],
)
def test_another_workspaces_endpoint_is_404(admin_client, other_workspace, method, url):
    foreign = make_endpoint(other_workspace, url="https://theirs.example.com/")
    secret = endpoint_secret(endpoint=foreign)
    data = {"url": "https://mine.example.com/", "event_types": ["ticket.created"]}

    response = getattr(admin_client, method)(url.format(pk=foreign.id), data)

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.url == "https://theirs.example.com/"
    assert endpoint_secret(endpoint=foreign) == secret


def test_list_shows_only_the_current_workspaces_endpoints(admin_client, workspace, other_workspace):
    make_endpoint(workspace, url="https://ours.example.com/")
    make_endpoint(other_workspace, url="https://theirs.example.com/")

    page = admin_client.get(LIST_URL).content.decode()

    assert "https://ours.example.com/" in page
    assert "https://theirs.example.com/" not in page


def test_settings_nav_links_to_webhooks_and_deliveries(support_client):
    page = support_client.get("/settings/").content.decode()

    assert f'href="{LIST_URL}"' in page
    assert f'href="{LOG_URL}"' in page


@pytest.mark.parametrize("url", [LIST_URL, LOG_URL])
def test_pages_require_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- Deliveries: the log ---------------------------------------------------------------------


def test_log_shows_newest_first_with_status_attempts_code_and_endpoint(support_client, workspace):
    endpoint = make_endpoint(workspace)
    older = make_delivery(endpoint, status="succeeded", resource_id=7)
    newer = make_delivery(endpoint, status="retrying", resource_id=8, event_type="ticket.created")
    WebhookDelivery.objects.filter(id=newer.id).update(last_status_code=503)

    response = support_client.get(LOG_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(f'data-delivery-id="{newer.id}"') < page.index(
        f'data-delivery-id="{older.id}"'
    )
    assert '<span class="badge retrying">Retrying</span>' in page
    assert '<span class="badge succeeded">Succeeded</span>' in page
    assert '<span class="muted">· 503</span>' in page  # the last answer's code
    assert "ticket 7" in page and "ticket 8" in page
    url = "https://hooks.example.com/in"
    assert f'<code class="truncate" title="{url}">hooks.example.com/in</code>' in page
