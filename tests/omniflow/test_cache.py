"""The project's Redis cache backend (omniflow.cache) keeps Django's cache contract."""

import os
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


_ECHO_SCRIPT = "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}"


def test_run_script_prefixes_keys_and_returns_the_raw_reply():
    reply = cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])

    assert reply == [cache.make_key("cache-test:script").encode(), b"x", 1]
    assert cache.get("cache-test:script") == 1
    cache.set("cache-test:pickled", ("a", 1))
    raw = cache._cache.get_client().get(cache.make_key("cache-test:pickled"))
    assert cache.decode(raw) == ("a", 1)


def test_run_script_sends_the_script_again_after_redis_forgot_it():
    cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])
    cache._cache.get_client().script_flush()  # as a restarted Redis has

    reply = cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])

    assert reply[2] == 2


def test_run_script_reconnects_after_the_server_closed_its_connection():
    cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])
    client = cache._cache.get_client()
    # Close the connections of the tests' database server-side, as a Redis restart does.
    db = client.connection_pool.connection_kwargs.get("db", 0)
    for entry in client.client_list():
        if int(entry["db"]) == db:
            client.client_kill_filter(_id=entry["id"])

    reply = cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])

    assert reply[2] == 2


def test_run_script_in_a_forked_child_uses_a_connection_of_its_own():
    cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])
    parents = cache._cache._script_connection()
    read_end, write_end = os.pipe()

    pid = os.fork()
    if pid == 0:  # the child: must not write on its parent's socket
        try:
            reply = cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])
            own = cache._cache._script_connection() is not parents
            os.write(write_end, f"{reply[2]} {own}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    answer = os.read(read_end, 100).decode()

    assert answer == "2 True"
    assert cache.run_script(_ECHO_SCRIPT, keys=["cache-test:script"], args=["x"])[2] == 3
