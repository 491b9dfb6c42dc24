"""Reads of API keys, including the cached lookup on the request path.

The request path must not cost a query: a key's row is cached in the shared cache (Redis in
production) under its display prefix, tagged with the key's *generation*, a counter in the same
cache. Every change to a key (create, update, revoke) bumps the generation after commit, and the
lookup reads the row and the generation in one round trip (MGET), so every process stops using
an older row on the very next request. Tagging, rather than only deleting the entry, also covers
the race where a request read the row just before the commit and writes it back just after: its
entry carries the old generation and is ignored. The TTL only bounds memory, not staleness.

Each process also remembers the keys it has verified, with the generation it read them at
(`api_key_remembered`), so a known key costs no read of its row at all: the request's one
round trip to Redis, which counts it against its limits (apikeys.throttling), compares that
generation with the current one first and counts nothing if it moved, and the request then
takes the path above. A change to a key still takes effect on the very next request.
"""

import secrets
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from workspaces.models import Workspace

from . import tokens
from .models import ApiKey, ApiKeyAuditEntry

LOOKUP_CACHE_SECONDS = 300
GENERATION_SECONDS = 86400
RECENT_ACTIVITY_LIMIT = 20
REMEMBERED_KEYS_MAX = 10_000

# Display prefix -> (generation, active ApiKey) of keys this process has verified.
_remembered: dict[str, tuple[int, ApiKey]] = {}


def _row_cache_key(prefix: str) -> str:
    return f"apikey:row:{prefix}"  # (generation, ApiKey or None)


def api_key_generation_cache_key(*, prefix: str) -> str:
    """Return the cache key of the counter every change to the key bumps."""
    return f"apikey:generation:{prefix}"


def _generation_start() -> int:
    # A generation starts at a random value, not 0: one that vanished (expired, or lost with
    # Redis's data) must not start again where an older one stood, or a row cached or
    # remembered at that older generation could pass for current. So it may expire, too.
    return secrets.randbelow(2**62) + 1


def api_key_cache_forget(*, prefix: str) -> None:
    """Make every process read a key's row afresh on its next request."""
    generation_key = api_key_generation_cache_key(prefix=prefix)
    cache.add(generation_key, _generation_start(), GENERATION_SECONDS)
    cache.incr(generation_key)
    cache.delete(_row_cache_key(prefix))
    _remembered.pop(prefix, None)


def api_key_cache_keys(*, plaintext: str) -> list[str]:
    """Return the cache keys the lookup of a plaintext reads (none for a malformed one).

    A caller that reads other cache keys anyway reads these in the same round trip and passes
    the result to `api_key_for_plaintext(cached=…)`.
    """
    if not tokens.is_well_formed(plaintext):
        return []
    prefix = tokens.display_prefix(plaintext)
    return [_row_cache_key(prefix), api_key_generation_cache_key(prefix=prefix)]


def api_key_for_plaintext(*, plaintext: str, cached: dict[str, Any] | None = None) -> ApiKey | None:
    """Return the key a presented plaintext belongs to (active or not), or None."""
    if not tokens.is_well_formed(plaintext):
        return None
    prefix = tokens.display_prefix(plaintext)
    row_key, generation_key = _row_cache_key(prefix), api_key_generation_cache_key(prefix=prefix)
    if cached is None:
        cached = cache.get_many([row_key, generation_key])
    generation = cached.get(generation_key)
    if generation is None:
        cache.add(generation_key, _generation_start(), GENERATION_SECONDS)
        generation = cache.get(generation_key)
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
    if api_key.is_active:
        if len(_remembered) >= REMEMBERED_KEYS_MAX:
            _remembered.clear()  # rare, and one atomic step under threads
        _remembered[prefix] = (generation, api_key)
    return api_key


def api_key_remembered(*, plaintext: str) -> tuple[ApiKey, int] | None:
    """Return an active key this process verified before, and the generation it read it at.

    The caller must check that generation against the shared cache's before trusting the row
    (apikeys.throttling counts the request only if it is current); `api_key_forget_remembered`
    when it is not.
    """
    entry = _remembered.get(tokens.display_prefix(plaintext))
    if entry is None:
        return None
    generation, api_key = entry
    # Expiry needs no change to the key, so the generation does not tell it.
    if api_key.is_expired or not tokens.keys_match(plaintext, api_key.key_hash):
        return None
    return api_key, generation


def api_key_forget_remembered(*, prefix: str | None = None) -> None:
    """Forget a remembered key (every key when no prefix is given)."""
    if prefix is None:
        _remembered.clear()
    else:
        _remembered.pop(prefix, None)


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


def api_key_audit_for_key(*, api_key: ApiKey) -> QuerySet[ApiKeyAuditEntry]:
    """Return every recorded change of one key, newest first."""
    return ApiKeyAuditEntry.objects.filter(workspace=api_key.workspace, api_key=api_key)
