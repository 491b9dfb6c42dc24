"""Each private library call of `omniflow.vendor_adapters` still does what we rely on.

Fails on an upgrade that renames, re-signs or changes one of them: then adapt that one
function (or replace it with a public API, if the new version has one).
"""

import inspect

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_mocked_view
from redis import ConnectionPool

from omniflow.vendor_adapters import redis_cache


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_private_calls_keep_the_signatures_the_adapters_pass():
    assert _parameters(RedisCacheClient._get_connection_pool_index) == ["self", "write"]
    assert _parameters(RedisCacheClient._get_connection_pool) == ["self", "write"]
    assert _parameters(AutoSchema._get_response_bodies) == ["self", "direction"]
    assert _parameters(AutoSchema._map_serializer_field) == [
        "self",
        "field",
        "direction",
        "bypass_extensions",
    ]
    assert _parameters(AutoSchema._get_response_for_code)[:3] == [
        "self",
        "serializer",
        "status_code",
    ]
    assert {"media_types", "direction"} <= set(_parameters(AutoSchema._get_response_for_code))
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


@pytest.mark.django_db
def test_the_schema_hook_adds_the_problem_responses_to_every_api_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operations = [
        operation
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/")
        for operation in methods.values()
    ]
    assert operations
    for operation in operations:
        unauthorized = operation["responses"]["401"]
        assert "application/problem+json" in unauthorized["content"]
        assert unauthorized["description"].startswith("Missing, invalid")


def test_a_closed_redis_channel_raises_a_connection_error_the_consumer_handles():
    from kombu.transport import redis as kombu_redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    import omniflow.celery  # noqa: F401 - installs the wrapper

    connparams = kombu_redis.Channel._connparams
    assert connparams.raises_connection_error
    assert _parameters(connparams.__wrapped__) == ["self", "asynchronous"]
    # What the consumer and the close catch: the transport's connection errors.
    assert issubclass(RedisConnectionError, kombu_redis.Transport.connection_errors)
