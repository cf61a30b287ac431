"""Fail fast while Redis is unreachable, instead of waiting out a socket timeout per call.

A Redis that refuses connections fails at once, but one that stopped answering (a hung
process, a network partition) costs every call the full socket timeout. A request
makes several Redis calls (auth state, idempotency lock, cache reads and writes), each
of which already falls back when Redis fails, so a hung Redis would make each request
several timeouts slower and tie up the server's threads.

After a connection error or timeout, calls to that Redis server fail at once for
REDIS_CIRCUIT_SECONDS; then one call is let through as a probe (the others keep
failing fast while it runs), and its success closes the circuit. The cache backend's
pool is `CircuitBreakerPool` (CACHES OPTIONS CONNECTION_POOL_CLASS).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis.connection import Connection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("amrutam.cache")

DEFAULT_SECONDS = 2.0


def _seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "REDIS_CIRCUIT_SECONDS", DEFAULT_SECONDS))


class Circuit:
    """The state of one Redis server as this process sees it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tripped = False
        self.open_until = 0.0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether a call may reach the server now (closed, or this caller is the probe)."""
        if not self.tripped:
            return True
        with self._lock:
            now = time.monotonic()
            if not self.tripped:
                return True
            if now < self.open_until:
                return False
            # This caller probes; the others keep failing fast until it has answered.
            self.open_until = now + max(_seconds(), 0.1)
            return True

    def failed(self) -> None:
        seconds = _seconds()
        if seconds <= 0:
            return
        with self._lock:
            was_tripped, self.tripped = self.tripped, True
            self.open_until = time.monotonic() + seconds
        if not was_tripped:
            logger.warning("redis_circuit_open", extra={"redis": self.name, "seconds": seconds})

    def succeeded(self) -> None:
        if not self.tripped:
            return
        with self._lock:
            was_tripped, self.tripped = self.tripped, False
            self.open_until = 0.0
        if was_tripped:
            logger.info("redis_circuit_closed", extra={"redis": self.name})


_circuits: dict[str, Circuit] = {}
_circuits_lock = threading.Lock()


def circuit_for(name: str) -> Circuit:
    with _circuits_lock:
        circuit = _circuits.get(name)
        if circuit is None:
            circuit = _circuits[name] = Circuit(name)
        return circuit


_FAILURES = (RedisConnectionError, RedisTimeoutError)


class CircuitBreakerMixin:
    """Wraps a redis-py connection class: refuse while open, trip on failure."""

    @property
    def circuit(self) -> Circuit:
        circuit = self.__dict__.get("_circuit")
        if circuit is None:
            path = getattr(self, "path", None)
            name = path or f"{getattr(self, 'host', '?')}:{getattr(self, 'port', '?')}"
            circuit = self.__dict__["_circuit"] = circuit_for(name)
        return circuit

    def connect(self) -> None:
        # The pool calls this before handing out any connection, connected or not.
        if not self.circuit.allow():
            self.disconnect()  # type: ignore[attr-defined]
            raise RedisConnectionError(f"Redis at {self.circuit.name} is unavailable.")
        try:
            super().connect()  # type: ignore[misc]
        except _FAILURES:
            self.circuit.failed()
            raise

    def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().send_packed_command(*args, **kwargs)  # type: ignore[misc]
        except _FAILURES:
            self.circuit.failed()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except _FAILURES:
            self.circuit.failed()
            raise
        self.circuit.succeeded()
        return response


_classes: dict[type, type] = {}


def circuit_connection_class(base: type) -> type:
    """`base` (a redis-py connection class) with the circuit breaker mixed in."""
    if issubclass(base, CircuitBreakerMixin):
        return base
    with _circuits_lock:
        if base not in _classes:
            _classes[base] = type(f"CircuitBreaker{base.__name__}", (CircuitBreakerMixin, base), {})
        return _classes[base]


class CircuitBreakerPool(ConnectionPool):
    """A connection pool whose connections (plain, TLS or unix socket) use the breaker."""

    def __init__(self, connection_class: type = Connection, **kwargs: Any) -> None:
        super().__init__(connection_class=circuit_connection_class(connection_class), **kwargs)
