"""The project's Redis cache backend (omniflow.cache) keeps Django's cache contract."""

import threading

from django.core.cache import cache, caches

from omniflow.cache import RedisCache


def test_the_suite_runs_on_the_project_backend():
    assert isinstance(caches["default"], RedisCache)


def test_incr_of_a_missing_key_raises_and_creates_nothing():
    try:
        cache.incr("cache-test:missing")
    except ValueError:
        pass
    else:
        raise AssertionError("incr of a missing key must raise ValueError")

    assert cache.get("cache-test:missing") is None


def test_incr_adds_to_an_existing_counter_and_keeps_its_expiry():
    assert cache.add("cache-test:counter", 1, 60)

    assert cache.incr("cache-test:counter") == 2
    assert cache.incr("cache-test:counter", 5) == 7
    assert cache.get("cache-test:counter") == 7
    assert not cache.add("cache-test:counter", 1, 60)
    assert 0 < cache._cache.get_client().ttl(cache.make_key("cache-test:counter")) <= 60


def test_incr_is_atomic_across_threads():
    cache.set("cache-test:shared", 0, 60)

    def bump():
        for _ in range(50):
            cache.incr("cache-test:shared")

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert cache.get("cache-test:shared") == 400


def test_one_client_serves_every_call():
    client = cache._cache.get_client()

    assert cache._cache.get_client("any", write=True) is client
