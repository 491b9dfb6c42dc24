"""Settings → API keys: who may see and change which key, and the pages' links."""

import pytest

from apikeys.models import ApiKey
from tests.apikeys.pages import CREATE_URL, LIST_URL
from tests.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.urls")]


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", LIST_URL),
        ("get", CREATE_URL),
        ("post", CREATE_URL),
        ("get", "/settings/api-keys/{pk}/"),
        ("get", "/settings/api-keys/{pk}/created/"),
        ("get", "/settings/api-keys/{pk}/edit/"),
        ("post", "/settings/api-keys/{pk}/edit/"),
        ("get", "/settings/api-keys/{pk}/roll/"),
        ("post", "/settings/api-keys/{pk}/roll/"),
        ("get", "/settings/api-keys/{pk}/revoke/"),
        ("post", "/settings/api-keys/{pk}/revoke/"),
    ],
)
def test_support_staff_get_403(support_client, workspace, method, url):
    api_key, _ = make_api_key(workspace)

    response = getattr(support_client, method)(url.format(pk=api_key.pk), {"name": "x"})

    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.name == "Test key" and not api_key.is_revoked
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/settings/api-keys/{pk}/"),
        ("get", "/settings/api-keys/{pk}/edit/"),
        ("post", "/settings/api-keys/{pk}/edit/"),
        ("get", "/settings/api-keys/{pk}/roll/"),
        ("post", "/settings/api-keys/{pk}/roll/"),
        ("get", "/settings/api-keys/{pk}/revoke/"),
        ("post", "/settings/api-keys/{pk}/revoke/"),
    ],
)
def test_another_workspaces_key_is_404(admin_client, other_workspace, method, url):
    foreign, _ = make_api_key(other_workspace, name="Theirs")

    response = getattr(admin_client, method)(
        url.format(pk=foreign.pk),
        {"name": "Mine now", "tier": "default", "custom_rate": "", "grace": "now"},
    )

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Theirs" and not foreign.is_revoked


def test_list_shows_only_the_current_workspaces_keys(admin_client, workspace, other_workspace):
    make_api_key(workspace, name="Ours")
    theirs, _ = make_api_key(other_workspace, name="Theirs")

    page = admin_client.get(LIST_URL).content.decode()

    assert "Ours" in page
    assert "Theirs" not in page and theirs.prefix not in page


def test_settings_nav_links_to_api_keys(admin_client):
    page = admin_client.get("/settings/").content.decode()

    assert f'href="{LIST_URL}"' in page


def test_pages_require_login(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
