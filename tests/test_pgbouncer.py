"""The database backend of DATABASE_POOLER=pgbouncer, through a private PgBouncer in
transaction pooling mode: timeouts per transaction, no session state left behind."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from amrutam.common.pgbouncer.base import DatabaseWrapper, transaction_settings

from .pgbouncer import PrivatePgBouncer, routed_through

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent


def _show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.fixture
def single_server(transactional_db) -> Iterator[PrivatePgBouncer]:
    """A PgBouncer with one server connection, routed to: every client shares it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    bouncer = PrivatePgBouncer(
        server_host=db["HOST"] or "127.0.0.1", server_port=int(db["PORT"] or 5432), pool_size=1
    )
    try:
        bouncer.start()
        with routed_through(bouncer):
            yield bouncer
    finally:
        bouncer.destroy()


def test_every_transaction_through_pgbouncer_carries_the_configured_timeouts(pgbouncer):
    with routed_through(pgbouncer):
        with transaction.atomic():
            timeouts = (_show("statement_timeout"), _show("lock_timeout"))
            port = connection.connection.info.port
        with transaction.atomic():
            again = (_show("statement_timeout"), _show("lock_timeout"))

    assert port == pgbouncer.port
    assert timeouts == again == ("10s", "5s")


def test_a_transactions_settings_are_gone_for_the_next_client_of_its_server(single_server):
    with transaction.atomic():
        inside = _show("lock_timeout")

    # Another client of the one server connection, as PgBouncer hands it on.
    with psycopg.connect(single_server.url(connection.settings_dict["NAME"])) as other:
        after = other.execute("SHOW lock_timeout").fetchone()[0]

    assert inside == "5s"
    assert after == "0"


def test_iterating_a_queryset_through_pgbouncer_reads_every_row(single_server):
    from accounts.models import User
    from accounts.tests.factories import UserFactory

    made = {UserFactory().pk for _ in range(5)}

    read = {user.pk for user in User.objects.iterator(chunk_size=2)}

    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert read == made


def test_the_time_zone_set_on_connecting_follows_the_client_across_servers(single_server):
    with psycopg.connect(single_server.url(connection.settings_dict["NAME"])) as other:
        other.execute("SET TIME ZONE 'Asia/Kolkata'")
        other.commit()

        ours = _show("TimeZone")
        theirs = other.execute("SHOW TimeZone").fetchone()[0]

    assert (ours, theirs) == ("UTC", "Asia/Kolkata")


def test_a_transaction_whose_settings_fail_leaves_the_connection_usable(pgbouncer, monkeypatch):
    with routed_through(pgbouncer):
        options = connection.settings_dict["OPTIONS"]
        monkeypatch.setitem(options, "options", options["options"] + " -c statement_timeout=soon")
        connection.close()

        with pytest.raises(DatabaseError), transaction.atomic():
            pass
        # Back in autocommit, as Django believes: the next statement just runs.
        answer = _show("lock_timeout")
        autocommit = connection.connection.autocommit
        connection.close()

    assert (answer, autocommit) == ("0", True)


def test_settings_options_become_name_value_pairs():
    pairs = transaction_settings("-c statement_timeout=10000 -clock_timeout=5000 -c a.b='on'")

    assert pairs == [("statement_timeout", "10000"), ("lock_timeout", "5000"), ("a.b", "on")]


@pytest.mark.parametrize("options", ["--search_path=x", "-c statement_timeout", "-c =1"])
def test_connection_options_other_than_settings_are_refused(options):
    with pytest.raises(ImproperlyConfigured):
        transaction_settings(options)


@pytest.mark.parametrize("option", [{"prepare_threshold": 5}, {"server_side_binding": True}])
def test_prepared_statements_cannot_be_turned_back_on(option):
    wrapper = DatabaseWrapper({**connection.settings_dict, "OPTIONS": option})

    with pytest.raises(ImproperlyConfigured, match="prepared statements"):
        wrapper.get_connection_params()


def _engine(pooler: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "amrutam.settings.local",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:6432/amrutam",
            "DATABASE_POOLER": pooler,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("pooler", "engine"),
    [("", "amrutam.common.postgresql"), ("pgbouncer", "amrutam.common.pgbouncer")],
)
def test_database_pooler_selects_the_backend(pooler, engine):
    done = _engine(pooler)

    assert done.stdout.strip() == engine, done.stderr[-500:]


def test_an_unknown_database_pooler_is_refused():
    done = _engine("pgpool")

    assert done.returncode != 0
    assert "DATABASE_POOLER must be empty or `pgbouncer`" in done.stderr
