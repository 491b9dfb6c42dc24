"""Django's Redis cache client: its pools and serializer (see the package docstring)."""

from django.core.cache.backends.redis import RedisCacheClient


def redis_cache_pool_index(client: RedisCacheClient, *, write: bool) -> int:
    """Return the index of the server (of the cache's LOCATION list) a read or write goes to."""
    return client._get_connection_pool_index(write)


def redis_cache_pool(client: RedisCacheClient, *, write: bool):
    """Return the connection pool of the server a read or write goes to, made on first use."""
    return client._get_connection_pool(write)


def redis_cache_loads(client: RedisCacheClient, raw: bytes):
    """Return a value the cache wrote, from the raw bytes Redis holds."""
    return client._serializer.loads(raw)
