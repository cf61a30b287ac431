"""The Redis circuit breaker: a Redis that stopped answering costs one timeout, not one per call."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django_redis.cache import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from amrutam.common.redis_circuit import circuit_for

SOCKET_TIMEOUT = 0.3
FAILURES = (RedisConnectionError, RedisTimeoutError)


def breaker_cache(location: str) -> RedisCache:
    """A cache configured like the production one (the breaker's pool), at `location`."""
    options = dict(django_settings.CACHES["default"]["OPTIONS"])
    options.update(SOCKET_CONNECT_TIMEOUT=SOCKET_TIMEOUT, SOCKET_TIMEOUT=SOCKET_TIMEOUT)
    assert options["CONNECTION_POOL_CLASS"] == "amrutam.common.redis_circuit.CircuitBreakerPool"
    return RedisCache(location, {"OPTIONS": options, "KEY_PREFIX": "circuit-test"})


def timed_get(cache: RedisCache) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        cache.get("k")
    except FAILURES as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers: a hung Redis."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        sock.close()
        circuit_for(f"127.0.0.1:{port}").succeeded()


def test_after_one_timeout_calls_fail_at_once_until_the_window_ends(silent_redis, settings):
    settings.REDIS_CIRCUIT_SECONDS = 1.0
    cache = breaker_cache(silent_redis)

    first, error = timed_get(cache)
    assert isinstance(error, FAILURES)
    assert first >= SOCKET_TIMEOUT * 0.9
    later = [timed_get(cache) for _ in range(20)]

    assert all(isinstance(err, FAILURES) for _, err in later)
    assert max(seconds for seconds, _ in later) < 0.05


def test_after_the_window_one_call_probes_while_the_others_still_fail_fast(silent_redis, settings):
    settings.REDIS_CIRCUIT_SECONDS = 0.5
    cache = breaker_cache(silent_redis)
    timed_get(cache)
    time.sleep(0.6)

    results: list[tuple[float, BaseException | None]] = [None] * 6  # type: ignore[list-item]
    barrier = threading.Barrier(len(results))

    def call(index: int) -> None:
        barrier.wait()
        results[index] = timed_get(cache)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    durations = sorted(seconds for seconds, _ in results)
    assert all(isinstance(err, FAILURES) for _, err in results)
    # One probe waited for the socket timeout; everyone else was refused at once.
    assert durations[-1] >= SOCKET_TIMEOUT * 0.9
    assert durations[-2] < 0.05


def test_a_successful_call_closes_the_circuit(settings):
    settings.REDIS_CIRCUIT_SECONDS = 0.3
    location = django_settings.CACHES["default"]["LOCATION"]
    cache = breaker_cache(location)
    cache.set("k", "v", timeout=30)
    probe = cache.client.get_client(write=False).connection_pool.make_connection()
    circuit = probe.circuit
    try:
        circuit.failed()

        refused = timed_get(cache)
        time.sleep(0.35)
        value = cache.get("k")

        assert isinstance(refused[1], RedisConnectionError)
        assert value == "v"
        assert not circuit.tripped
        assert [cache.get("k") for _ in range(3)] == ["v", "v", "v"]
    finally:
        circuit.succeeded()
        cache.delete("k")
        probe.disconnect()


def test_with_the_window_set_to_zero_every_call_reaches_redis(silent_redis, settings):
    settings.REDIS_CIRCUIT_SECONDS = 0
    cache = breaker_cache(silent_redis)

    durations = [timed_get(cache)[0] for _ in range(3)]

    assert min(durations) >= SOCKET_TIMEOUT * 0.9
