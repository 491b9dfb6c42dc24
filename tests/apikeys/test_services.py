from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from apikeys import selectors
from apikeys.models import ApiKey, ApiKeyAuditEntry
from apikeys.selectors import api_key_for_plaintext
from apikeys.services import api_key_revoke, api_key_update
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


def test_create_is_audited_with_the_actor(workspace, admin_membership):
    api_key, _ = make_api_key(workspace, name="Zapier", actor=admin_membership.user)

    entry = ApiKeyAuditEntry.objects.get()
    assert (entry.workspace, entry.api_key, entry.action) == (workspace, api_key, "created")
    assert entry.actor == admin_membership.user
    assert entry.actor_label == admin_membership.user.email
    assert entry.key_prefix == api_key.prefix
    assert entry.details["name"] == "Zapier"
    assert api_key.created_by == admin_membership.user


def test_the_command_creates_keys_through_the_audited_service(workspace):
    call_command(
        "create_api_key",
        "--workspace",
        workspace.slug,
        "--name",
        "ETL",
        "--scope",
        "tickets:read",
        stdout=StringIO(),
    )

    entry = ApiKeyAuditEntry.objects.get()
    assert entry.action == "created" and entry.actor is None and entry.actor_label == "system"


def test_update_records_only_what_changed(workspace):
    api_key, _ = make_api_key(workspace, scopes=["tickets:read"])

    api_key_update(
        api_key=api_key, name="Test key", scopes=["tickets:read"], tier="default", actor=None
    )
    api_key_update(
        api_key=api_key,
        name="Renamed",
        scopes=["tickets:read"],
        tier="custom",
        custom_rate="10/m",
        actor=None,
    )

    updates = ApiKeyAuditEntry.objects.filter(action="updated")
    assert updates.count() == 1  # the first update changed nothing
    assert updates.get().details == {
        "name": {"from": "Test key", "to": "Renamed"},
        "tier": {"from": "default", "to": "custom"},
        "custom_rate": {"from": "", "to": "10/m"},
    }
    assert (
        updates.get().summary == "name: Test key → Renamed; tier: default → custom; "
        "custom rate: none → 10/m"
    )


def test_revoking_twice_is_audited_once(workspace):
    api_key, _ = make_api_key(workspace)

    api_key_revoke(api_key=api_key, actor=None)
    api_key_revoke(api_key=api_key, actor=None)

    assert ApiKeyAuditEntry.objects.filter(action="revoked").count() == 1


def test_audit_history_outlives_the_key(workspace):
    api_key, _ = make_api_key(workspace)
    prefix = api_key.prefix

    ApiKey.objects.filter(pk=api_key.pk).delete()

    entry = ApiKeyAuditEntry.objects.get()
    assert entry.api_key is None and entry.key_prefix == prefix


def test_a_row_cached_just_before_a_change_is_not_served_after_it(
    workspace, django_capture_on_commit_callbacks
):
    api_key, plaintext = make_api_key(workspace)
    # A request reads the generation and the row just before the revocation commits…
    generation_before = cache.get(selectors.api_key_generation_cache_key(prefix=api_key.prefix), 0)
    stale_row = ApiKey.objects.select_related("workspace").get(pk=api_key.pk)
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=api_key, actor=None)
    # …and writes the row to the cache just after the revocation dropped the entry.
    cache.set(
        selectors._row_cache_key(api_key.prefix),
        (generation_before, stale_row),
        selectors.LOOKUP_CACHE_SECONDS,
    )

    found = api_key_for_plaintext(plaintext=plaintext)

    assert found is not None and found.is_revoked
