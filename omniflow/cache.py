"""The project's Redis cache: Django's RedisCache, cheaper on the API's request path.

Every API request reads the key's cached row and counts itself in django-ratelimit's counters,
so the cache's own overhead is paid several times per request. Django's backend pays more of it
than it has to; this one differs in three ways and behaves the same otherwise:

- One `redis.Redis` client per connection pool, made once, instead of one per call: building a
  client copies its table of ~170 response callbacks, which cost more than the round trip.
  A client is thread-safe (each command borrows a pooled connection) and its pool reconnects
  after a fork.
- `incr` is one round trip (a Lua script: INCRBY only if the key exists) instead of EXISTS then
  INCRBY. Still atomic, and still ValueError for a missing key, as Django's contract says.
- Keys are not checked for memcached's limits (250 characters, no spaces or control
  characters): Redis has neither, and the check ran on every key of every call. The local-memory
  cache of the embedded default still warns.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Returns nil (None in Python) for a missing key rather than creating it as INCRBY would.
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return nil
"""


class ReusingRedisCacheClient(DjangoRedisCacheClient):
    """Django's Redis client with clients made once per pool and a one-round-trip `incr`."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self._incr_script = None

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        if self._incr_script is None:
            self._incr_script = client.register_script(_INCR_IF_EXISTS)
        value = self._incr_script(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    """Django's RedisCache on `ReusingRedisCacheClient`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def validate_key(self, key):
        pass
