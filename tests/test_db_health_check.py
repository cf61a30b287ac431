"""The primary's connection skips the per-request health check only right after serving
a request (amrutam/common/postgresql/base.py), against real PostgreSQL sessions."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections, connection, connections

from amrutam.common.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The backend pid of every health check the primary's connection runs."""
    seen: list[int] = []
    real = connection.is_usable

    def counting() -> bool:
        seen.append(connection.connection.info.backend_pid)
        return real()

    monkeypatch.setattr(connection, "is_usable", counting)
    return seen


def request() -> int:
    """What a request does to the connection: the signals around one query; the
    backend pid that answered."""
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return int(cursor.fetchone()[0])
    finally:
        request_finished.send(sender=None)


def kill(pid: int) -> None:
    """What a restart of PostgreSQL does to an open session, from another session."""
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"]
    ) as other:
        answer = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()
        assert answer is not None and answer[0] is True


def age(seconds: float) -> None:
    assert connection.served_at is not None
    connection.served_at -= seconds


def test_the_primary_uses_the_backend_with_a_window():
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.idle_seconds == settings.DB_HEALTH_CHECK_IDLE_SECONDS > 0


def test_a_connection_that_just_served_a_request_is_not_checked_again(checks):
    first = request()
    again = [request(), request(), request()]

    assert again == [first] * 3
    assert checks == []


def test_a_connection_idle_longer_than_the_window_is_checked(checks):
    first = request()
    age(settings.DB_HEALTH_CHECK_IDLE_SECONDS + 0.5)

    assert request() == first
    assert checks == [first]
    # Serving that request opened a new window.
    assert request() == first
    assert checks == [first]


def test_a_connection_killed_while_idle_is_replaced_before_the_query(checks):
    first = request()
    kill(first)
    age(settings.DB_HEALTH_CHECK_IDLE_SECONDS + 0.5)

    second = request()

    assert second != first
    assert checks == [first]


def test_a_connection_killed_within_the_window_fails_one_request_then_is_replaced(checks):
    first = request()
    kill(first)

    with pytest.raises(OperationalError):
        request()
    second = request()

    assert second != first
    assert connection.served_at is not None


def test_background_rounds_check_before_every_round(checks):
    """A round of the sealer or the relay: close_old_connections around its queries,
    no request signals."""

    def round_() -> int:
        close_old_connections()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = int(cursor.fetchone()[0])
        close_old_connections()
        return pid

    first = round_()
    assert round_() == first
    assert round_() == first

    assert checks == [first, first]
    assert connection.served_at is None
