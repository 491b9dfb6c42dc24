import pytest
from django.test import Client

from tests.factories import MembershipFactory


@pytest.mark.django_db
def test_settings_require_login(client):
    response = client.get("/settings/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_logs_the_user_in_and_shows_the_settings_nav(client, admin_membership):
    response = client.post(
        "/login/",
        {"username": admin_membership.user.username, "password": "correct-horse-battery-staple"},
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    for label in ("API Keys", "Webhooks", "Deliveries", "Inbound webhooks"):
        assert label in body
    assert admin_membership.workspace.name in body


def test_user_without_membership_gets_403(client, django_user_model):
    user = django_user_model.objects.create_user(username="loner@example.com", password="x" * 12)
    client.force_login(user)

    assert client.get("/settings/").status_code == 403


def test_switching_to_a_foreign_workspace_is_404(admin_client, other_workspace):
    response = admin_client.post("/settings/workspace/switch/", {"workspace": other_workspace.id})

    assert response.status_code == 404


def test_switching_between_own_workspaces(admin_client, admin_membership):
    second = MembershipFactory(user=admin_membership.user, role="support").workspace

    admin_client.post("/settings/workspace/switch/", {"workspace": second.id})
    response = admin_client.get("/settings/")

    assert second.name.encode() in response.content
    assert response.context["membership"].role == "support"


def test_support_staff_are_not_offered_admin_only_entries(admin_membership, support_membership):
    pages = {}
    for membership in (admin_membership, support_membership):
        client = Client()
        client.force_login(membership.user)
        pages[membership.role] = client.get("/settings/").content.decode()
    support_page, admin_page = pages["support"], pages["admin"]

    assert 'href="/settings/api-keys/"' not in support_page
    assert 'href="/settings/api-keys/"' in admin_page
    for page in (support_page, admin_page):
        assert "Integrations" in page
        for href in ("/settings/webhooks/", "/settings/deliveries/", "/settings/inbound/"):
            assert f'href="{href}"' in page
        assert 'href="/settings/members/"' in page


def test_the_current_section_is_marked_and_named_in_the_folded_menu(admin_client):
    page = admin_client.get("/settings/deliveries/").content.decode()

    assert '<a href="/settings/deliveries/" aria-current="page" class="active">' in page
    assert "<summary>Settings: Deliveries log</summary>" in page


def test_403_and_404_are_shown_in_the_settings_shell_with_a_way_back(support_client):
    forbidden = support_client.get("/settings/api-keys/")
    missing = support_client.get("/settings/webhooks/999999/")

    assert (forbidden.status_code, missing.status_code) == (403, 404)
    for response in (forbidden, missing):
        page = response.content.decode()
        assert 'class="settings-nav"' in page and "Back to Settings" in page
        assert "app.css" in page
    assert "Only workspace admins can change this." in forbidden.content.decode()


def test_every_settings_page_says_so_when_private_urls_are_allowed(admin_client, settings):
    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert "Development mode" not in admin_client.get("/settings/").content.decode()

    settings.OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS = True
    for path in ("/settings/", "/settings/webhooks/", "/settings/api-keys/", "/settings/members/"):
        assert "Development mode" in admin_client.get(path).content.decode()
