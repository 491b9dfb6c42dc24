"""Reads of API keys, including the cached lookup on the request path.

The request path must not cost a query: a key's row is cached in the shared cache (Redis in
production) under its display prefix, tagged with the key's *generation*, a counter in the same
cache. Every change to a key (create, update, revoke) bumps the generation after commit, and the
lookup reads the row and the generation in one round trip (MGET), so every process stops using
an older row on the very next request. Tagging, rather than only deleting the entry, also covers
the race where a request read the row just before the commit and writes it back just after: its
entry carries the old generation and is ignored. The TTL only bounds memory, not staleness.
"""

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from workspaces.models import Workspace

from . import tokens
from .models import ApiKey, ApiKeyAuditEntry

LOOKUP_CACHE_SECONDS = 300
RECENT_ACTIVITY_LIMIT = 20


def _row_cache_key(prefix: str) -> str:
    return f"apikey:row:{prefix}"  # (generation, ApiKey or None)


def _generation_cache_key(prefix: str) -> str:
    return f"apikey:generation:{prefix}"


def api_key_cache_forget(*, prefix: str) -> None:
    """Make every process read a key's row afresh on its next request."""
    generation_key = _generation_cache_key(prefix)
    # No expiry: a generation that vanished would read as 0 and could match an old entry.
    cache.add(generation_key, 0, timeout=None)
    cache.incr(generation_key)
    cache.delete(_row_cache_key(prefix))


def api_key_cache_keys(*, plaintext: str) -> list[str]:
    """Return the cache keys the lookup of a plaintext reads (none for a malformed one).

    A caller that reads other cache keys anyway reads these in the same round trip and passes
    the result to `api_key_for_plaintext(cached=…)`.
    """
    if not tokens.is_well_formed(plaintext):
        return []
    prefix = tokens.display_prefix(plaintext)
    return [_row_cache_key(prefix), _generation_cache_key(prefix)]


def api_key_for_plaintext(*, plaintext: str, cached: dict[str, Any] | None = None) -> ApiKey | None:
    """Return the key a presented plaintext belongs to (active or not), or None."""
    if not tokens.is_well_formed(plaintext):
        return None
    prefix = tokens.display_prefix(plaintext)
    row_key, generation_key = _row_cache_key(prefix), _generation_cache_key(prefix)
    if cached is None:
        cached = cache.get_many([row_key, generation_key])
    generation = cached.get(generation_key, 0)
    entry = cached.get(row_key)
    if entry is not None and entry[0] == generation:
        api_key = entry[1]
    else:
        # Read the generation before the row: a change committed in between bumps it, so this
        # entry is ignored by the next request instead of serving the older row.
        api_key = ApiKey.objects.select_related("workspace").filter(prefix=prefix).first()
        cache.set(row_key, (generation, api_key), LOOKUP_CACHE_SECONDS)
    if api_key is None or not tokens.keys_match(plaintext, api_key.key_hash):
        return None
    return api_key


def api_keys_for_workspace(*, workspace: Workspace) -> QuerySet[ApiKey]:
    """Return the workspace's keys, newest first."""
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by", "revoked_by")


def api_key_get(*, workspace: Workspace, key_id: int) -> ApiKey:
    """Return one of the workspace's keys; ApiKey.DoesNotExist for others'."""
    return api_keys_for_workspace(workspace=workspace).get(pk=key_id)


def api_key_audit_recent(
    *, workspace: Workspace, limit: int = RECENT_ACTIVITY_LIMIT
) -> list[ApiKeyAuditEntry]:
    """Return the workspace's latest key changes, newest first."""
    return list(ApiKeyAuditEntry.objects.filter(workspace=workspace)[:limit])
