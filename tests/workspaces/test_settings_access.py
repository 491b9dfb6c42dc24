import pytest

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
