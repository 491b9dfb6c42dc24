from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from apikeys import tokens
from apikeys.models import ApiKey
from workspaces.models import Membership, Workspace


def _call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_workspace_with_admin_who_can_log_in():
    _call(
        "create_workspace",
        "acme",
        "--name",
        "Acme Inc",
        "--admin-email",
        "ops@acme.test",
        "--admin-password",
        "s3cret-pass-123",
    )

    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "Acme Inc"
    membership = Membership.objects.get(workspace=workspace)
    assert membership.role == Membership.Role.ADMIN
    assert authenticate(username="ops@acme.test", password="s3cret-pass-123") == membership.user


@pytest.mark.django_db
def test_create_workspace_refuses_duplicates_and_bad_slugs():
    _call("create_workspace", "acme")

    with pytest.raises(CommandError, match="already exists"):
        _call("create_workspace", "acme")
    with pytest.raises(CommandError, match="not a valid slug"):
        _call("create_workspace", "Not A Slug")


@pytest.mark.django_db
def test_create_api_key_prints_the_key_on_the_last_line(workspace):
    output = _call(
        "create_api_key",
        "--workspace",
        workspace.slug,
        "--name",
        "CRM sync",
        "--scope",
        "tickets:write",
        "--scope",
        "contacts:read",
        "--tier",
        "burstable",
    )

    plaintext = output.strip().splitlines()[-1]
    assert tokens.is_well_formed(plaintext)
    api_key = ApiKey.objects.get(workspace=workspace)
    assert api_key.prefix == tokens.display_prefix(plaintext)
    assert plaintext not in (api_key.key_hash, api_key.prefix)
    assert api_key.scopes == ["contacts:read", "tickets:write"]
    assert api_key.tier == "burstable"


@pytest.mark.django_db
def test_create_api_key_with_custom_rate_and_full_access_gets_every_scope(workspace):
    _call(
        "create_api_key",
        "--workspace",
        workspace.slug,
        "--name",
        "ETL",
        "--rate",
        "300/m,5000/h",
        "--full-access",
    )

    api_key = ApiKey.objects.get(workspace=workspace)
    assert api_key.tier == "custom"
    assert api_key.custom_rate == "300/m,5000/h"
    assert api_key.has_all_scopes and "api_keys:write" in api_key.scopes


@pytest.mark.django_db
def test_create_api_key_without_scopes_is_refused_not_given_every_scope(workspace):
    with pytest.raises(CommandError, match="--scope, or --full-access"):
        _call("create_api_key", "--workspace", workspace.slug, "--name", "ETL")

    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_create_api_key_rejects_unknown_scope_and_workspace(workspace):
    with pytest.raises(CommandError, match="Unknown scope"):
        _call(
            "create_api_key", "--workspace", workspace.slug, "--name", "x", "--scope", "cats:read"
        )
    with pytest.raises(CommandError, match="No workspace"):
        _call("create_api_key", "--workspace", "nope", "--name", "x")
    assert not ApiKey.objects.exists()
