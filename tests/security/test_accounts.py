"""Accounts belong to whoever created them: adding a member never hands over a credential.

The attack of the review: workspace B invites new-hire@beta.test without a password; workspace A
then adds the same address and got a set-password link for that account in its 201 answer, set
the password, switched to B and minted a full-access key there.
"""

import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from rest_framework.test import APIClient

from apikeys.models import ApiKey
from tests.factories import TEST_PASSWORD, MembershipFactory, make_api_key
from workspaces.models import Invitation, Membership

pytestmark = pytest.mark.django_db

VICTIM = "new-hire@beta.test"
LINK = re.compile(r"http://testserver(/settings/invitations/[^/\s]+/)")


def _client(workspace, scopes=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(workspace, scopes=scopes)[1]}")
    return client


def _invite(client, email=VICTIM, role="support"):
    return client.post("/api/v1/members", {"email": email, "role": role}, format="json")


def test_adding_an_account_of_another_workspace_answers_no_credential(
    workspace, other_workspace, mailoutbox
):
    # Workspace B's account for the new hire, made before they ever signed in (no password).
    victim = get_user_model().objects.create_user(username=VICTIM, email=VICTIM)
    victim.set_unusable_password()
    victim.save()
    Membership.objects.create(user=victim, workspace=other_workspace, role="admin")

    response = _invite(_client(workspace))

    assert response.status_code == 202, response.content
    body = response.content.decode()
    assert "set-password" not in body and "/settings/invitations/" not in body
    assert "password" not in response.json() and "url" not in "".join(response.json())
    victim.refresh_from_db()
    assert not victim.has_usable_password()
    assert not Membership.objects.filter(user=victim, workspace=workspace).exists()
    # The link goes to the address only.
    assert [mail.to for mail in mailoutbox] == [[VICTIM]]
    assert LINK.search(mailoutbox[0].body)


def test_the_settings_page_shows_no_link_either(admin_client, other_workspace, mailoutbox):
    victim = MembershipFactory(workspace=other_workspace, role="admin").user
    victim.set_unusable_password()
    victim.save()

    page = admin_client.post(
        "/settings/members/new/", {"email": victim.email, "role": "admin"}, follow=True
    ).content.decode()

    assert f"Invited {victim.email}" in page
    assert "/settings/invitations/" not in page and "set-password" not in page
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [victim.email]


def test_a_new_person_sets_their_password_from_the_emailed_link_once(workspace, client, mailoutbox):
    assert _invite(_client(workspace), email="fresh@example.com").status_code == 202
    path = LINK.search(mailoutbox[0].body).group(1)

    form = client.get(path, follow=True)
    assert "Set password and join" in form.content.decode()
    joined = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "fresh-password-77", "new_password2": "fresh-password-77"},
        follow=True,
    )

    assert joined.redirect_chain[-1][0] == "/settings/"
    assert "You joined" in joined.content.decode()
    user = authenticate(username="fresh@example.com", password="fresh-password-77")
    assert Membership.objects.get(user=user, workspace=workspace).role == "support"
    assert not Invitation.objects.exists()
    client.logout()
    assert "no longer works" in client.get(path, follow=True).content.decode()


def test_an_existing_account_accepts_only_when_signed_in_as_itself(
    workspace, other_workspace, client, mailoutbox
):
    invitee = MembershipFactory(workspace=other_workspace, role="support").user
    assert _invite(_client(workspace), email=invitee.email).status_code == 202
    path = LINK.search(mailoutbox[0].body).group(1)

    # Anonymous: asked to sign in; a POST sets no password and joins nothing.
    anonymous = client.get(path, follow=True).content.decode()
    assert "Sign in to accept" in anonymous
    client.post(
        "/settings/invitations/accept/", {"new_password1": "x" * 12, "new_password2": "x" * 12}
    )
    assert authenticate(username=invitee.username, password=TEST_PASSWORD) == invitee
    stranger = MembershipFactory(workspace=other_workspace).user
    client.force_login(stranger)
    client.get(path)
    client.post("/settings/invitations/accept/")
    assert not Membership.objects.filter(workspace=workspace).exists()

    client.force_login(invitee)
    client.get(path)
    client.post("/settings/invitations/accept/")

    assert Membership.objects.get(workspace=workspace).user == invitee


def test_an_account_created_with_a_password_by_one_workspace_cannot_accept_anothers_invitation(
    workspace, other_workspace, client, mailoutbox
):
    # A makes an account (with a password A knows) for an address it does not own; B invites it.
    _client(workspace).post(
        "/api/v1/members",
        {"email": VICTIM, "role": "support", "password": "a-known-password-1"},
        format="json",
    )
    assert _invite(_client(other_workspace), role="admin").status_code == 202

    client.login(username=VICTIM, password="a-known-password-1")
    page = client.get("/settings/invitations/accept/").content.decode()
    client.post("/settings/invitations/accept/")

    # Without the link (in the victim's mailbox) there is nothing to accept.
    assert "no longer works" in page
    assert not Membership.objects.filter(workspace=other_workspace).exists()


def test_invitations_are_listed_resent_and_cancelled_in_the_api(workspace, mailoutbox):
    client = _client(workspace)
    invitation = _invite(client, email="pending@example.com").json()
    assert invitation["status"] == "invited"

    listed = client.get("/api/v1/member-invitations").json()["results"]
    resent = client.post(f"/api/v1/member-invitations/{invitation['id']}/resend")
    first_link, second_link = (LINK.search(mail.body).group(1) for mail in mailoutbox)
    cancelled = client.delete(f"/api/v1/member-invitations/{invitation['id']}")

    assert [row["email"] for row in listed] == ["pending@example.com"]
    assert resent.status_code == 200 and resent.json()["send_count"] == 2
    assert first_link != second_link
    assert cancelled.status_code == 204
    assert not Invitation.objects.exists()
    assert "no longer works" in APIClient().get(second_link, follow=True).content.decode()


def test_invitations_are_pending_on_the_members_page_with_resend_and_cancel(
    admin_client, workspace, mailoutbox
):
    admin_client.post("/settings/members/new/", {"email": "p@example.com", "role": "support"})
    invitation = Invitation.objects.get()

    page = admin_client.get("/settings/members/").content.decode()
    admin_client.post(f"/settings/members/invitations/{invitation.pk}/resend/")
    admin_client.post(f"/settings/members/invitations/{invitation.pk}/cancel/")

    assert 'data-invitation="p@example.com"' in page and "Invited" in page
    assert "Resend" in page and "Cancel invitation" in page
    assert len(mailoutbox) == 2
    assert not Invitation.objects.exists()


# --- No grant above the grantor: members ------------------------------------------------------


def test_a_members_write_key_cannot_make_an_admin(workspace, admin_membership, support_membership):
    # Everything support staff reach, but not full access.
    key = _client(workspace, scopes=["members:write", "webhooks:write", "inbound:read"])

    created = key.post(
        "/api/v1/members",
        {"email": "boss@example.com", "role": "admin", "password": "a-long-password-42"},
        format="json",
    )
    raised = key.patch(f"/api/v1/members/{support_membership.pk}", {"role": "admin"}, format="json")
    removed = key.delete(f"/api/v1/members/{admin_membership.pk}")

    assert created.status_code == 400 and "role" in created.json()["errors"]
    assert not get_user_model().objects.filter(username="boss@example.com").exists()
    assert raised.status_code == 400 and "role" in raised.json()["errors"]
    assert removed.status_code == 403
    assert Membership.objects.filter(workspace=workspace).count() == 2
    support_membership.refresh_from_db()
    assert support_membership.role == "support"


def test_a_full_access_key_may_make_an_admin_and_support_needs_support_scopes(
    workspace, mailoutbox
):
    support_scopes = ["members:write", "webhooks:write", "inbound:read"]

    full = _invite(_client(workspace), email="a@example.com", role="admin")
    support = _invite(_client(workspace, scopes=support_scopes), email="s@example.com")
    bare = _invite(_client(workspace, scopes=["members:write"]), email="b@example.com")

    assert full.status_code == 202 and support.status_code == 202
    assert bare.status_code == 400 and "role" in bare.json()["errors"]


# --- No grant above the grantor: API keys -----------------------------------------------------


def _key_client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_a_key_revokes_only_keys_within_its_scopes(workspace):
    _, plaintext = make_api_key(workspace, scopes=["api_keys:write"])
    bigger, _ = make_api_key(workspace, scopes=["tickets:write", "api_keys:write"])

    response = _key_client(plaintext).post(f"/api/v1/api-keys/{bigger.pk}/revoke")

    assert response.status_code == 403
    bigger.refresh_from_db()
    assert bigger.revoked_at is None


def test_a_default_tier_key_cannot_mint_higher_limits(workspace):
    _, plaintext = make_api_key(workspace, scopes=["api_keys:write"])
    client = _key_client(plaintext)
    new = {"name": "k", "scopes": ["api_keys:read"]}

    custom = client.post(
        "/api/v1/api-keys", {**new, "tier": "custom", "custom_rate": "1000000/m"}, format="json"
    )
    burstable = client.post("/api/v1/api-keys", {**new, "tier": "burstable"}, format="json")
    lower = client.post(
        "/api/v1/api-keys", {**new, "tier": "custom", "custom_rate": "30/m"}, format="json"
    )

    assert custom.status_code == 400 and "tier" in custom.json()["errors"]
    assert burstable.status_code == 400
    assert lower.status_code == 201
    assert ApiKey.objects.count() == 2


def test_an_expiring_key_mints_only_keys_that_expire_by_its_own_expiry(workspace):
    from datetime import timedelta

    from django.utils import timezone

    own_expiry = timezone.now() + timedelta(days=1)
    _, plaintext = make_api_key(workspace, scopes=["api_keys:write"], expires_at=own_expiry)
    client = _key_client(plaintext)
    new = {"name": "k", "scopes": ["api_keys:read"]}

    forever = client.post("/api/v1/api-keys", new, format="json")
    later = client.post(
        "/api/v1/api-keys",
        {**new, "expires_at": (own_expiry + timedelta(hours=1)).isoformat()},
        format="json",
    )
    sooner = client.post(
        "/api/v1/api-keys",
        {**new, "expires_at": (own_expiry - timedelta(hours=1)).isoformat()},
        format="json",
    )

    assert forever.status_code == 400 and "expires_at" in forever.json()["errors"]
    assert later.status_code == 400
    assert sooner.status_code == 201


def test_a_key_in_its_roll_grace_period_grants_nothing(workspace):
    old, old_plaintext = make_api_key(workspace, scopes=["api_keys:write", "members:write"])
    rolled = _key_client(old_plaintext).post(
        f"/api/v1/api-keys/{old.pk}/roll", {"grace_seconds": 3600}, format="json"
    )
    assert rolled.status_code == 201
    client = _key_client(old_plaintext)

    minted = client.post(
        "/api/v1/api-keys", {"name": "k", "scopes": ["api_keys:read"]}, format="json"
    )
    rolled_again = client.post(
        f"/api/v1/api-keys/{old.pk}/roll", {"grace_seconds": 0}, format="json"
    )

    assert client.get("/api/v1/api-keys").status_code == 200  # it still works
    assert minted.status_code == 403 and rolled_again.status_code == 403
    assert ApiKey.objects.count() == 2
