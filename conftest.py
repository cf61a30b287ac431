"""Shared fixtures: API clients, users of every role, and a check that the services run."""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlparse

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop with a clear message, not a stack trace, when PostgreSQL or Redis is down."""
    import psycopg
    import redis

    db_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/amrutam")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    db = urlparse(db_url)
    problems = []
    try:
        psycopg.connect(
            host=db.hostname,
            port=db.port or 5432,
            user=db.username or "postgres",
            password=db.password or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error:
        problems.append(
            f"PostgreSQL is not reachable at {db.hostname}:{db.port or 5432}. Start it with:\n"
            "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "or point DATABASE_URL at a running server."
        )
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        problems.append(
            f"Redis is not reachable at {redis_url}. Start it with:\n"
            '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
            "--appendonly no\nor point REDIS_URL at a running server."
        )
    if problems:
        pytest.exit("\n\n".join(problems), returncode=3)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before the last test's fixtures (the test database among them) are torn down,
    close the connection /ready's probe thread keeps, which would block dropping it."""
    if nextitem is None:
        from amrutam.common.readiness import close_probe_connection

        close_probe_connection()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The same when the run stops early (-x), before the session's fixtures end."""
    from amrutam.common.readiness import close_probe_connection

    close_probe_connection()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Each test starts with an empty cache (rate-limit counters, cached reads)."""
    from django.core.cache import cache

    try:
        cache.clear()
    except Exception:  # noqa: S110 - tests that point the cache at a closed port
        pass


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    from accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def patient(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(role="PATIENT", email="patient.a@example.com", name="Patient A")


@pytest.fixture
def patient_b(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(role="PATIENT", email="patient.b@example.com", name="Patient B")


@pytest.fixture
def admin_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(
        role="ADMIN", email="admin@example.com", name="Admin", is_staff=True, is_superuser=True
    )


@pytest.fixture
def token_for() -> Callable[[object], str]:
    """An access token for `user`, as login would issue it."""
    from accounts.tokens import access_token_for

    return access_token_for


@pytest.fixture
def client_for(token_for) -> Callable[[object], object]:
    """An APIClient authenticated as `user` with a bearer token."""
    from rest_framework.test import APIClient

    def make(user: object) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


@pytest.fixture
def doctor(db):
    """A verified doctor's profile (its user is `doctor.user`)."""
    from accounts.tests.factories import UserFactory
    from doctors.tests.factories import DoctorProfileFactory

    user = UserFactory(role="DOCTOR", email="doctor.x@example.com", name="Doctor X")
    return DoctorProfileFactory(user=user)


@pytest.fixture
def doctor_b(db):
    from accounts.tests.factories import UserFactory
    from doctors.tests.factories import DoctorProfileFactory

    user = UserFactory(role="DOCTOR", email="doctor.y@example.com", name="Doctor Y")
    return DoctorProfileFactory(user=user)


@pytest.fixture
def slot(doctor):
    """A free slot of `doctor`, two hours from now."""
    from doctors.tests.factories import SlotFactory

    return SlotFactory(doctor=doctor)


@pytest.fixture
def staff_browser(admin_user):
    """A browser logged in to the back office as an admin."""
    from django.test import Client

    from tests.backoffice import staff_login

    client = Client()
    staff_login(client, admin_user)
    return client


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup):
    """A private PgBouncer (transaction pooling) in front of the test database's server.

    After the test database is made and stopped before it is dropped, which its server
    connections would otherwise prevent."""
    from django.conf import settings

    from tests.pgbouncer import PrivatePgBouncer

    db = settings.DATABASES["default"]
    bouncer = PrivatePgBouncer(
        server_host=db["HOST"] or "127.0.0.1", server_port=int(db["PORT"] or 5432)
    )
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.destroy()


@pytest.fixture(params=["direct", "pgbouncer"])
def database_route(request, transactional_db):
    """Run the test once on a direct connection and once through PgBouncer."""
    if request.param == "direct":
        yield request.param
        return
    from tests.pgbouncer import routed_through

    with routed_through(request.getfixturevalue("pgbouncer")):
        yield request.param
