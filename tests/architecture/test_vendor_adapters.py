"""Each private library call of `omniflow.vendor_adapters` still does what we rely on.

Fails on an upgrade that renames, re-signs or changes one of them: then adapt that one
function (or replace it with a public API, if the new version has one).
"""

import inspect

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_mocked_view
from redis import ConnectionPool

from omniflow.api.schema import ApiAutoSchema
from omniflow.vendor_adapters import redis_cache


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_private_calls_keep_the_signatures_the_adapters_pass():
    assert _parameters(RedisCacheClient._get_connection_pool_index) == ["self", "write"]
    assert _parameters(RedisCacheClient._get_connection_pool) == ["self", "write"]
    assert _parameters(AutoSchema._map_serializer_field) == [
        "self",
        "field",
        "direction",
        "bypass_extensions",
    ]
    assert _parameters(build_mocked_view) == [
        "method",
        "path",
        "extend_schema_decorator",
        "registry",
    ]


def test_the_redis_cache_pool_and_serializer_are_the_ones_the_cache_uses():
    client = cache._cache
    pool = redis_cache.redis_cache_pool(client, write=True)
    cache.set("adapter-check:value", {"a": [1, 2]}, 60)

    raw = client.get_client(write=True).get(cache.make_key("adapter-check:value"))

    assert isinstance(pool, ConnectionPool)
    assert redis_cache.redis_cache_pool_index(client, write=True) == 0
    assert client.get_client(write=True).connection_pool is pool
    assert redis_cache.redis_cache_loads(client, raw) == {"a": [1, 2]}
    cache.delete("adapter-check:value")


def test_the_api_schema_overrides_no_private_autoschema_method():
    """Our AutoSchema extends drf-spectacular through its public methods only; a private one
    overridden (as `_get_response_bodies` once was) would break silently on an upgrade."""
    ours = [cls for cls in ApiAutoSchema.__mro__ if cls.__module__.startswith("omniflow.")]
    private = {
        f"{cls.__name__}.{name}"
        for cls in ours
        for name in vars(cls)
        if name.startswith("_") and not name.startswith("__") and hasattr(AutoSchema, name)
    }

    assert private == set()


def test_a_closed_redis_channel_raises_a_connection_error_the_consumer_handles():
    from kombu.transport import redis as kombu_redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    import omniflow.celery  # noqa: F401 - installs the wrapper

    connparams = kombu_redis.Channel._connparams
    assert connparams.raises_connection_error
    assert _parameters(connparams.__wrapped__) == ["self", "asynchronous"]
    # What the consumer and the close catch: the transport's connection errors.
    assert issubclass(RedisConnectionError, kombu_redis.Transport.connection_errors)
