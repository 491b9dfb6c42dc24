"""The project's Redis cache: Django's RedisCache, cheaper on the API's request path.

Every API request checks its key and counts itself in the rate-limit counters in Redis, so
the cache's own overhead is paid on every request. Django's backend pays more of it than it has
to; this one differs in four ways and behaves the same otherwise:

- One `redis.Redis` client per connection pool, made once, instead of one per call: building a
  client copies its table of ~170 response callbacks, which cost more than the round trip.
  A client is thread-safe (each command borrows a pooled connection) and its pool reconnects
  after a fork.
- `incr` is one round trip (a Lua script, see `run_script`: INCRBY only if the key exists)
  instead of EXISTS then INCRBY. Still atomic, and still ValueError for a missing key, as
  Django's contract says.
- `run_script` runs a Lua script on cache keys in one atomic round trip, for callers whose
  several reads and writes per request would otherwise cost a round trip each (the API's
  per-request rate-limit counting, see omniflow.ratelimits). It writes EVALSHA straight to a
  connection each thread keeps: redis-py's command path (retry wrapper, observability hooks,
  response callbacks) and the pool's checks on every checkout cost more CPU than the round trip
  itself. A connection the server closed is reopened and the script sent once more, and a
  script Redis no longer knows (restart, SCRIPT FLUSH) is sent in full.
- Keys are not checked for memcached's limits (250 characters, no spaces or control
  characters): Redis has neither, and the check ran on every key of every call. The local-memory
  cache of the embedded default still warns.
"""

import hashlib
import os
import threading

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from .vendor_adapters.redis_cache import redis_cache_loads, redis_cache_pool, redis_cache_pool_index

# Returns nil (None in Python) for a missing key rather than creating it as INCRBY would.
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return nil
"""


# Forks of this process so far: a connection made before a fork belongs to the parent.
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_count_fork)


class ReusingRedisCacheClient(DjangoRedisCacheClient):
    """Django's Redis client with clients made once per pool and a one-round-trip `incr`."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self._script_shas = {}
        self._script_connections = threading.local()

    def get_client(self, key=None, *, write=False):
        index = redis_cache_pool_index(self, write=write)
        client = self._clients.get(index)
        if client is None:
            pool = redis_cache_pool(self, write=write)
            client = self._clients[index] = redis.Redis(connection_pool=pool)
        return client

    def incr(self, key, delta):
        value = self.run_script(_INCR_IF_EXISTS, [key], [delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def _sha(self, source: str) -> str:
        sha = self._script_shas.get(source)
        if sha is None:
            sha = self._script_shas[source] = hashlib.sha1(source.encode()).hexdigest()
        return sha

    def run_script(self, source, keys, args):
        sha = self._sha(source)
        connection = self._script_connection()
        try:
            return self._evalsha(connection, sha, source, keys, args)
        except RedisConnectionError:
            # The server closed the connection (a restart, an idle timeout): the command never
            # ran, so it is safe to send once more; the connection has reset itself and
            # reconnects on send. A timeout is not retried: the script may have run.
            return self._evalsha(connection, sha, source, keys, args)

    def _script_connection(self):
        held = self._script_connections
        # A forked child must not share its parent's socket. Compared with a count of forks
        # rather than os.getpid(), a system call, on every API request.
        if getattr(held, "forks", None) != _forks:
            held.connection = self.get_client(write=True).connection_pool.make_connection()
            held.forks = _forks
        return held.connection

    @staticmethod
    def _evalsha(connection, sha, source, keys, args):
        connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
        try:
            return connection.read_response()
        except NoScriptError:
            # EVAL runs it and caches it in Redis for the EVALSHA of later calls.
            connection.send_command("EVAL", source, len(keys), *keys, *args)
            return connection.read_response()


class RedisCache(DjangoRedisCache):
    """Django's RedisCache on `ReusingRedisCacheClient`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def validate_key(self, key):
        pass

    def run_script(self, source: str, *, keys: list[str], args: list, version=None):
        """Run a Lua script atomically over cache keys; return Redis's raw reply.

        `keys` are cache keys as given to get/set (prefixed and versioned here). Values the
        script returns are raw: read a value written by set/add with `decode`.
        """
        made = [self.make_key(key, version=version) for key in keys]
        return self._cache.run_script(source, made, args)

    def decode(self, raw: bytes):
        """Return a value written by set/add, as read raw by a script."""
        return redis_cache_loads(self._cache, raw)
