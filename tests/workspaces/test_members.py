"""Settings → Members, the member services, `create_member` and GET /api/v1/members."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apikeys.scopes import ALL_SCOPES
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory, make_api_key
from workspaces.models import Invitation, Membership
from workspaces.services import member_create, member_remove, member_update_role

pytestmark = pytest.mark.django_db

LIST_URL = "/settings/members/"
CREATE_URL = "/settings/members/new/"


def test_admin_adds_a_member_with_a_password_who_can_then_log_in(admin_client, workspace):
    response = admin_client.post(
        CREATE_URL,
        {"email": "Agent@Example.com", "role": "support", "password": "a-long-password-42"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == LIST_URL
    page = response.content.decode()
    assert "Added agent@example.com as support." in page
    assert 'data-member="agent@example.com"' in page
    assert "Set-password link" not in page
    membership = Membership.objects.get(workspace=workspace, user__email="agent@example.com")
    assert membership.role == "support"
    assert authenticate(username="agent@example.com", password="a-long-password-42")


def test_a_member_added_without_password_is_invited_by_email(admin_client, workspace, mailoutbox):
    page = admin_client.post(
        CREATE_URL, {"email": "new@example.com", "role": "admin", "password": ""}, follow=True
    ).content.decode()

    assert "Invited new@example.com as admin" in page
    assert 'data-invitation="new@example.com"' in page
    assert mailoutbox[0].to == ["new@example.com"]
    assert "http://testserver/settings/invitations/" in mailoutbox[0].body
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_adding_refuses_a_bad_email_an_existing_member_and_a_weak_password(
    admin_client, admin_membership
):
    bad = admin_client.post(CREATE_URL, {"email": "nope", "role": "support"})
    existing = admin_client.post(
        CREATE_URL, {"email": admin_membership.user.email, "role": "support"}
    )
    weak = admin_client.post(
        CREATE_URL, {"email": "weak@example.com", "role": "support", "password": "short"}
    )

    assert "email" in bad.context["form"].errors
    assert "already a member" in " ".join(existing.context["form"].errors["email"])
    assert "too short" in " ".join(weak.context["form"].errors["password"])
    assert Membership.objects.count() == 1


def test_an_admin_cannot_set_the_password_of_someone_elses_account(admin_client):
    other = MembershipFactory(role="admin")  # an account in another workspace

    response = admin_client.post(
        CREATE_URL, {"email": other.user.email, "role": "support", "password": "takeover-pass-1"}
    )

    assert "signs in with it" in " ".join(response.context["form"].errors["password"])
    assert authenticate(username=other.user.username, password=TEST_PASSWORD) == other.user


def test_admin_changes_roles_but_never_demotes_the_last_admin(
    admin_client, admin_membership, support_membership
):
    promote = admin_client.post(
        f"/settings/members/{support_membership.pk}/role/", {"role": "admin"}, follow=True
    )
    assert "is now admin" in promote.content.decode()
    admin_client.post(f"/settings/members/{support_membership.pk}/role/", {"role": "support"})

    demote_self = admin_client.post(
        f"/settings/members/{admin_membership.pk}/role/", {"role": "support"}, follow=True
    )

    assert "last admin" in demote_self.content.decode()
    admin_membership.refresh_from_db()
    assert admin_membership.role == "admin"


def test_admin_removes_a_member_after_confirmation_but_never_the_last_admin(
    admin_client, admin_membership, support_membership
):
    confirm = admin_client.get(f"/settings/members/{support_membership.pk}/remove/")
    assert "Remove member" in confirm.content.decode()
    assert Membership.objects.filter(pk=support_membership.pk).exists()

    admin_client.post(f"/settings/members/{support_membership.pk}/remove/")
    last = admin_client.post(f"/settings/members/{admin_membership.pk}/remove/", follow=True)

    assert not Membership.objects.filter(pk=support_membership.pk).exists()
    assert "last admin" in last.content.decode()
    assert Membership.objects.filter(pk=admin_membership.pk).exists()


def test_services_refuse_to_leave_a_workspace_without_admin(workspace, admin_membership):
    with pytest.raises(ValidationError, match="last admin"):
        member_update_role(membership=admin_membership, role="support")
    with pytest.raises(ValidationError, match="last admin"):
        member_remove(membership=admin_membership)
    member_create(
        workspace=workspace, email="two@example.com", role="admin", password="two-admins-pass"
    )

    member_update_role(membership=admin_membership, role="support")

    assert set(Membership.objects.values_list("role", flat=True)) == {"admin", "support"}


def test_support_staff_see_members_but_cannot_change_them(support_client, admin_membership):
    page = support_client.get(LIST_URL).content.decode()

    assert admin_membership.user.email in page
    assert "Add member" not in page and "Remove" not in page
    assert support_client.get(CREATE_URL).status_code == 403
    assert (
        support_client.post(CREATE_URL, {"email": "x@example.com", "role": "admin"}).status_code
        == 403
    )
    assert (
        support_client.post(
            f"/settings/members/{admin_membership.pk}/role/", {"role": "support"}
        ).status_code
        == 403
    )
    assert (
        support_client.post(f"/settings/members/{admin_membership.pk}/remove/").status_code == 403
    )
    assert Membership.objects.count() == 2


def test_another_workspaces_member_is_404(admin_client, other_workspace):
    foreign = MembershipFactory(workspace=other_workspace, role="support")

    assert admin_client.post(f"/settings/members/{foreign.pk}/remove/").status_code == 404
    assert (
        admin_client.post(f"/settings/members/{foreign.pk}/role/", {"role": "admin"}).status_code
        == 404
    )


def _call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_member_command_with_password_and_with_an_invitation(workspace, mailoutbox):
    _call(
        "create_member",
        workspace.slug,
        "ops@example.com",
        "--role",
        "admin",
        "--password",
        "ops-password-99",
    )
    output = _call("create_member", workspace.slug, "agent@example.com", "--role", "support")

    assert authenticate(username="ops@example.com", password="ops-password-99")
    assert Membership.objects.get(user__email="ops@example.com").role == "admin"
    assert Invitation.objects.get(email="agent@example.com").role == "support"
    link = output.strip().splitlines()[-1]
    assert re.search(r"^http://127\.0\.0\.1:8000/settings/invitations/\S+/$", link)
    assert mailoutbox[0].to == ["agent@example.com"] and link in mailoutbox[0].body


def test_create_member_command_refuses_unknown_workspace_and_duplicates(workspace):
    _call("create_member", workspace.slug, "ops@example.com", "--role", "admin")

    with pytest.raises(CommandError, match="already invited"):
        _call("create_member", workspace.slug, "ops@example.com", "--role", "support")
    with pytest.raises(CommandError, match="No workspace"):
        _call("create_member", "nope", "x@example.com", "--role", "admin")


def test_members_api_lists_members_with_the_members_scope(
    workspace, admin_membership, support_membership, other_workspace
):
    MembershipFactory(workspace=other_workspace)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=['members:read'])[1]}"
    )

    data = client.get("/api/v1/members").json()

    assert sorted((row["email"], row["role"]) for row in data["results"]) == sorted(
        [(admin_membership.user.email, "admin"), (support_membership.user.email, "support")]
    )
    unscoped = APIClient()
    unscoped.credentials(
        HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=['tickets:read'])[1]}"
    )
    response = unscoped.get("/api/v1/members")
    assert response.status_code == 403 and "members:read" in response.json()["detail"]


def _members_client(workspace, scopes=ALL_SCOPES) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=list(scopes))[1]}"
    )
    return client


def test_members_api_invites_a_member_without_a_password(workspace, admin_membership, mailoutbox):
    response = _members_client(
        workspace, scopes=("members:write", "webhooks:write", "inbound:read")
    ).post("/api/v1/members", {"email": "New@Example.com", "role": "support"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert body["email"] == "new@example.com" and body["role"] == "support"
    assert body["status"] == "invited"
    assert "password" not in body and "set_password_url" not in body
    assert mailoutbox[0].to == ["new@example.com"]
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_members_api_with_a_password_gives_no_link_and_the_person_can_log_in(workspace):
    response = _members_client(workspace, scopes=ALL_SCOPES).post(
        "/api/v1/members",
        {"email": "ops@example.com", "role": "admin", "password": "a-long-password-42"},
        format="json",
    )

    assert response.status_code == 201 and "set_password_url" not in response.json()
    assert authenticate(username="ops@example.com", password="a-long-password-42") is not None


def test_members_api_refuses_bad_input_with_field_errors_and_writes_nothing(
    workspace, admin_membership, other_workspace
):
    client = _members_client(workspace)
    other = MembershipFactory(workspace=other_workspace).user

    bad_role = client.post(
        "/api/v1/members", {"email": "x@example.com", "role": "owner"}, format="json"
    )
    duplicate = client.post(
        "/api/v1/members", {"email": admin_membership.user.email, "role": "admin"}, format="json"
    )
    has_account = client.post(
        "/api/v1/members",
        {"email": other.email, "role": "support", "password": "a-Long-pass-phrase-9"},
        format="json",
    )
    weak = client.post(
        "/api/v1/members",
        {"email": "y@example.com", "role": "admin", "password": "123"},
        format="json",
    )

    assert bad_role.status_code == 400 and "role" in bad_role.json()["errors"]
    # A well-formed body refused for what the workspace holds: a conflict, with the field named.
    assert duplicate.status_code == 409 and "email" in duplicate.json()["errors"]
    assert duplicate.json()["type"] == "conflict"
    assert has_account.status_code == 409 and "password" in has_account.json()["errors"]
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    assert Membership.objects.filter(workspace=workspace).count() == 1


def test_members_api_changes_roles_but_never_demotes_or_removes_the_last_admin(
    workspace, admin_membership, support_membership
):
    client = _members_client(workspace)
    url = f"/api/v1/members/{admin_membership.user_id}"

    demote = client.patch(url, {"role": "support"}, format="json")
    remove = client.delete(url)

    assert demote.status_code == 409 and "last admin" in demote.json()["detail"]
    assert remove.status_code == 409 and remove.json()["type"] == "conflict"
    admin_membership.refresh_from_db()
    assert admin_membership.role == "admin"

    promoted = client.patch(
        f"/api/v1/members/{support_membership.user_id}", {"role": "admin"}, format="json"
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(pk=admin_membership.pk).exists()


def test_members_api_needs_the_write_scope_and_hides_other_workspaces(
    workspace, admin_membership, other_workspace
):
    stranger = MembershipFactory(workspace=other_workspace, role="support")
    reader = _members_client(workspace, scopes=("members:read",))
    writer = _members_client(workspace)

    refused = reader.post(
        "/api/v1/members", {"email": "z@example.com", "role": "support"}, format="json"
    )
    foreign = writer.patch(f"/api/v1/members/{stranger.user_id}", {"role": "admin"}, format="json")

    assert refused.status_code == 403 and "members:write" in refused.json()["detail"]
    assert foreign.status_code == 404
    assert writer.get(f"/api/v1/members/{admin_membership.user_id}").json()["role"] == "admin"
    stranger.refresh_from_db()
    assert stranger.role == "support"


def test_a_member_is_identified_by_the_user_id_assignee_fields_take(workspace):
    """Bob's membership id is Ann's user id: the API lists and reads members by user id only,
    so assigning by the id `GET /members` shows reaches Bob, not Ann."""
    ann, bob = UserFactory(id=900_001), UserFactory(id=900_002)
    MembershipFactory(id=900_001, workspace=workspace, user=bob, role="support")
    MembershipFactory(id=900_002, workspace=workspace, user=ann, role="support")
    client = _members_client(workspace, scopes=("members:write", "conversations:write"))

    listed = {m["email"]: m["id"] for m in client.get("/api/v1/members").json()["results"]}
    one = client.get(f"/api/v1/members/{bob.pk}").json()
    assigned = client.post(
        "/api/v1/conversations", {"assignee": listed[bob.email]}, format="json"
    ).json()
    unchanged = client.patch(f"/api/v1/members/{ann.pk}", {}, format="json")

    assert listed == {ann.email: ann.pk, bob.email: bob.pk}
    assert one["email"] == bob.email and one["id"] == bob.pk
    assert assigned["assignee"] == bob.pk
    assert unchanged.status_code == 200 and unchanged.json()["role"] == "support"
