"""Reads of API keys, including the cached lookup on the request path.

The request path must not cost a query: a key's row is cached in the shared cache (Redis in
production) under its display prefix. Every change to a key (revoke, update) deletes that entry
after commit, so every process sees revocation on the very next request; the TTL only bounds how
long a missed deletion could linger.
"""

from django.core.cache import cache
from django.db.models import QuerySet

from workspaces.models import Workspace

from . import tokens
from .models import ApiKey

LOOKUP_CACHE_SECONDS = 300
_MISSING = "missing"


def _cache_key(prefix: str) -> str:
    return f"apikey:lookup:{prefix}"


def api_key_cache_forget(*, prefix: str) -> None:
    """Drop a key's cached row so the next request reads it afresh."""
    cache.delete(_cache_key(prefix))


def api_key_for_plaintext(*, plaintext: str) -> ApiKey | None:
    """Return the key a presented plaintext belongs to (active or not), or None."""
    if not tokens.is_well_formed(plaintext):
        return None
    prefix = tokens.display_prefix(plaintext)
    cached = cache.get(_cache_key(prefix))
    if cached == _MISSING:
        return None
    if cached is None:
        api_key = ApiKey.objects.select_related("workspace").filter(prefix=prefix).first()
        cache.set(_cache_key(prefix), api_key or _MISSING, LOOKUP_CACHE_SECONDS)
    else:
        api_key = cached
    if api_key is None or not tokens.keys_match(plaintext, api_key.key_hash):
        return None
    return api_key


def api_keys_for_workspace(*, workspace: Workspace) -> QuerySet[ApiKey]:
    """Return the workspace's keys, newest first."""
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by", "revoked_by")


def api_key_get(*, workspace: Workspace, key_id: int) -> ApiKey:
    """Return one of the workspace's keys; ApiKey.DoesNotExist for others'."""
    return api_keys_for_workspace(workspace=workspace).get(pk=key_id)
