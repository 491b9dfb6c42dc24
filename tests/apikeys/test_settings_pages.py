import re

import pytest
from rest_framework.test import APIClient

from apikeys import tokens
from apikeys.models import ApiKey, ApiKeyAuditEntry
from tests.apikeys.pages import CREATE_URL, LIST_URL
from tests.apikeys.urls import PROBE_PATH

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apikeys.urls")]


def _plaintext_on(page: str) -> str:
    match = re.search(r'id="api-key-plaintext">([^<]+)<', page)
    assert match, "the created page shows the key"
    return match.group(1)


def _create(client, **data) -> tuple[ApiKey, str]:
    form = {"name": "CRM sync", "tier": "default", "custom_rate": "", "expires_at": ""}
    if "scopes" not in data:
        form["full_access"] = "on"
    form.update(data)
    response = client.post(CREATE_URL, form, follow=True)
    assert response.status_code == 200
    plaintext = _plaintext_on(response.content.decode())
    return ApiKey.objects.get(prefix=tokens.display_prefix(plaintext)), plaintext


def test_create_shows_the_key_once_and_lists_it_by_prefix_only(
    admin_client, admin_membership, workspace
):
    response = admin_client.post(
        CREATE_URL,
        {
            "name": "CRM sync",
            "scopes": ["tickets:read", "tickets:write", "contacts:read"],
            "tier": "custom",
            "custom_rate": "300/m, 5000/h",
            "expires_at": "2099-01-01T00:00",
        },
        follow=True,
    )

    # POST-redirect-GET: the key is shown on the page the POST redirects to.
    assert response.redirect_chain[0][1] == 302
    page = response.content.decode()
    plaintext = _plaintext_on(page)
    assert tokens.is_well_formed(plaintext)
    assert "shown only this once" in page
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(workspace=workspace)
    assert api_key.prefix == tokens.display_prefix(plaintext)
    assert api_key.scopes == ["contacts:read", "tickets:write"]
    assert (api_key.tier, api_key.custom_rate) == ("custom", "300/m,5000/h")
    assert api_key.created_by == admin_membership.user
    assert api_key.expires_at.year == 2099
    # Never again: not on the list, not in the session.
    listing = admin_client.get(LIST_URL).content.decode()
    assert f"{api_key.prefix}…" in listing
    assert plaintext not in listing
    assert plaintext[len(api_key.prefix) :] not in listing
    assert plaintext not in str(dict(admin_client.session))
    assert "300/minute, 5000/hour" in listing
    # And the key works.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(PROBE_PATH).status_code == 200


def test_reloading_the_created_page_shows_the_key_no_more_and_creates_nothing(admin_client):
    api_key, plaintext = _create(admin_client)

    reload = admin_client.get(f"/settings/api-keys/{api_key.pk}/created/", follow=True)

    assert reload.redirect_chain[-1][0] == f"/settings/api-keys/{api_key.pk}/"
    page = reload.content.decode()
    assert plaintext not in page
    assert "was shown once and cannot be shown again" in page
    assert ApiKey.objects.count() == 1


def test_no_scope_ticked_is_an_error_and_full_access_is_asked_for(admin_client, workspace):
    response = admin_client.post(
        CREATE_URL, {"name": "Nothing ticked", "tier": "default", "custom_rate": ""}
    )

    assert response.status_code == 200
    assert "Pick at least one scope" in " ".join(response.context["form"].errors["scopes"])
    assert not ApiKey.objects.exists()

    api_key, _ = _create(admin_client, full_access="on")
    assert api_key.has_all_scopes
    assert "Full access" in admin_client.get(LIST_URL).content.decode()


def test_unticking_every_scope_on_edit_is_refused_not_widened(admin_client):
    api_key, _ = _create(admin_client, scopes=["tickets:read"])

    response = admin_client.post(
        f"/settings/api-keys/{api_key.pk}/edit/",
        {"name": "CRM sync", "tier": "default", "custom_rate": ""},
    )

    assert response.status_code == 200
    assert "Pick at least one scope" in response.content.decode()
    api_key.refresh_from_db()
    assert api_key.scopes == ["tickets:read"]


def test_custom_limits_with_another_tier_are_an_error_not_dropped(admin_client, workspace):
    response = admin_client.post(
        CREATE_URL,
        {"name": "Fast", "scopes": ["tickets:read"], "tier": "default", "custom_rate": "500/m"},
    )

    assert "Custom tier only" in " ".join(response.context["form"].errors["custom_rate"])
    assert not ApiKey.objects.exists()


def test_a_bad_rate_and_a_past_expiry_are_refused_at_the_same_submit(admin_client):
    response = admin_client.post(
        CREATE_URL,
        {
            "name": "Fast",
            "scopes": ["tickets:read"],
            "tier": "custom",
            "custom_rate": "lots",
            "expires_at": "2001-01-01T00:00",
        },
    )

    errors = response.context["form"].errors
    assert {"custom_rate", "expires_at"} <= errors.keys()
    assert "The expiry must be in the future." in errors["expires_at"]
    assert 'id="error-summary"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_expiry_can_be_set_changed_and_cleared_after_creation(admin_client):
    api_key, _ = _create(admin_client, scopes=["tickets:read"])
    edit_url = f"/settings/api-keys/{api_key.pk}/edit/"
    form = {"name": "CRM sync", "scopes": ["tickets:read"], "tier": "default", "custom_rate": ""}

    admin_client.post(edit_url, {**form, "expires_at": "2099-03-04T05:06"})
    api_key.refresh_from_db()
    assert api_key.expires_at.isoformat() == "2099-03-04T05:06:00+00:00"

    past = admin_client.post(edit_url, {**form, "expires_at": "2001-01-01T00:00"})
    assert "must be in the future" in past.content.decode()

    admin_client.post(edit_url, {**form, "expires_at": ""})
    api_key.refresh_from_db()
    assert api_key.expires_at is None
    details = [entry.details for entry in ApiKeyAuditEntry.objects.filter(action="updated")]
    assert details[0]["expires_at"] == {"from": "2099-03-04T05:06:00+00:00", "to": None}


def test_list_shows_name_tier_creator_status_and_last_use(
    admin_client, admin_membership, workspace, django_capture_on_commit_callbacks
):
    active, plaintext = _create(admin_client, name="Zapier", tier="burstable")
    revoked, _ = _create(admin_client, name="Old ETL")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/api-keys/{revoked.pk}/revoke/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    api.get(PROBE_PATH)

    page = admin_client.get(LIST_URL).content.decode()

    assert "Zapier" in page and "Old ETL" in page
    assert "Burstable (120/min, 1000/hour)" in page
    assert admin_membership.user.email in page
    assert '<span class="badge revoked">Revoked</span>' in page
    assert '<span class="badge active">Active</span>' in page
    assert "Never" in page  # the revoked key was never used
    active.refresh_from_db()
    assert active.last_used_at is not None
    assert active.last_used_at.strftime("%Y-%m-%d %H:%M") in page


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": ""}, "name", "This field is required."),
        ({"tier": "custom", "custom_rate": "lots"}, "custom_rate", "is not a rate"),
        ({"tier": "custom", "custom_rate": ""}, "custom_rate", "at least one rate"),
        ({"expires_at": "2001-01-01T00:00"}, "expires_at", "must be in the future"),
        ({"expires_at": "not a date"}, "expires_at", "Enter a valid date/time."),
        ({"tier": "platinum"}, "tier", "Select a valid choice."),
    ],
)
def test_create_form_rerenders_with_errors_and_keeps_the_input(
    admin_client, workspace, data, field, message
):
    form = {
        "name": "Keep me",
        "scopes": ["agents:write", "training:read"],
        "tier": "default",
        "custom_rate": "",
        "expires_at": "",
    }
    form.update(data)

    response = admin_client.post(CREATE_URL, form)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    assert 'class="errorlist' in page
    assert re.search(r'value="agents:write"[^>]*checked', page)
    assert re.search(r'value="training:read"[^>]*checked', page)
    if data.get("name") != "":
        assert 'value="Keep me"' in page
    if data.get("custom_rate"):
        assert f'value="{data["custom_rate"]}"' in page
    assert not ApiKey.objects.filter(workspace=workspace).exists()


def test_every_field_error_shows_at_the_first_submit(admin_client):
    response = admin_client.post(
        CREATE_URL, {"name": "", "tier": "custom", "custom_rate": "300/x", "expires_at": "soon"}
    )

    assert set(response.context["form"].errors) == {"name", "scopes", "custom_rate", "expires_at"}


def test_edit_changes_name_scopes_and_limits(admin_client, workspace):
    api_key, plaintext = _create(admin_client, scopes=["tickets:write"])

    form = admin_client.get(f"/settings/api-keys/{api_key.pk}/edit/").content.decode()
    response = admin_client.post(
        f"/settings/api-keys/{api_key.pk}/edit/",
        {
            "name": "CRM sync v2",
            "scopes": ["contacts:read"],
            "tier": "custom",
            "custom_rate": "10/s",
        },
        follow=True,
    )

    assert 'value="CRM sync"' in form
    assert re.search(r'value="tickets:read"[^>]*checked', form)  # write implies read
    assert re.search(r'value="tickets:write"[^>]*checked', form)
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "Saved “CRM sync v2”" in response.content.decode()
    api_key.refresh_from_db()
    assert (api_key.name, api_key.scopes) == ("CRM sync v2", ["contacts:read"])
    assert (api_key.tier, api_key.custom_rate) == ("custom", "10/s")


def test_edit_form_errors_keep_the_input(admin_client):
    api_key, _ = _create(admin_client)

    response = admin_client.post(
        f"/settings/api-keys/{api_key.pk}/edit/",
        {"name": "Renamed", "scopes": ["webhooks:write"], "tier": "custom", "custom_rate": "5/x"},
    )

    assert response.status_code == 200
    assert "is not a rate" in " ".join(response.context["form"].errors["custom_rate"])
    page = response.content.decode()
    assert 'value="Renamed"' in page and 'value="5/x"' in page
    assert re.search(r'value="webhooks:write"[^>]*checked', page)
    api_key.refresh_from_db()
    assert api_key.name == "CRM sync"


def test_revoke_asks_for_confirmation_then_revokes(
    admin_client, admin_membership, django_capture_on_commit_callbacks
):
    api_key, plaintext = _create(admin_client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(PROBE_PATH).status_code == 200

    confirm = admin_client.get(f"/settings/api-keys/{api_key.pk}/revoke/")
    api_key.refresh_from_db()
    assert confirm.status_code == 200 and not api_key.is_revoked
    assert "Revoke key" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/settings/api-keys/{api_key.pk}/revoke/", follow=True)

    assert response.redirect_chain[-1][0] == LIST_URL
    api_key.refresh_from_db()
    assert api_key.is_revoked and api_key.revoked_by == admin_membership.user
    assert '<span class="badge revoked">Revoked</span>' in response.content.decode()
    assert api.get(PROBE_PATH).status_code == 401


def test_a_revoked_key_cannot_be_edited(admin_client, workspace):
    api_key, _ = _create(admin_client)
    admin_client.post(f"/settings/api-keys/{api_key.pk}/revoke/")

    response = admin_client.post(
        f"/settings/api-keys/{api_key.pk}/edit/",
        {"name": "Back to life", "tier": "default", "custom_rate": ""},
    )

    assert "it can no longer be changed" in response.content.decode()
    api_key.refresh_from_db()
    assert api_key.name == "CRM sync"


def test_every_change_is_in_the_audit_log_on_the_page(admin_client, admin_membership):
    api_key, _ = _create(admin_client, scopes=["tickets:read"])
    admin_client.post(
        f"/settings/api-keys/{api_key.pk}/edit/",
        {"name": "CRM sync", "scopes": ["tickets:write"], "tier": "burstable", "custom_rate": ""},
    )
    admin_client.post(f"/settings/api-keys/{api_key.pk}/revoke/")

    entries = list(ApiKeyAuditEntry.objects.filter(api_key=api_key).order_by("id"))
    page = admin_client.get(LIST_URL).content.decode()

    assert [entry.action for entry in entries] == ["created", "updated", "revoked"]
    assert all(entry.actor == admin_membership.user for entry in entries)
    assert entries[1].details == {
        "scopes": {"from": ["tickets:read"], "to": ["tickets:write"]},
        "tier": {"from": "default", "to": "burstable"},
    }
    assert "Recent activity" in page
    assert "scopes: tickets:read → tickets:write; tier: default → burstable" in page
    for label in ("Created", "Updated", "Revoked"):
        assert f"<td>{label}</td>" in page
    assert page.count(admin_membership.user.email) >= 3


def test_a_key_limited_to_10_per_15_minutes_can_be_created_in_settings(admin_client):
    api_key, _ = _create(admin_client, tier="custom", custom_rate="10/15m")

    assert (api_key.tier, api_key.custom_rate) == ("custom", "10/15m")
