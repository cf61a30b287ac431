"""Read routing decisions that need no standby (tests/test_read_replica.py has a real one)."""

from __future__ import annotations

from django.test import override_settings

from amrutam.common.replica import PRIMARY, ReplicaRouter, breaker, read_alias
from amrutam.settings.base import replica_config
from audit.selectors import audit_entry_list


def test_the_replica_inherits_the_primarys_engine_options_and_pooling_not_its_check_window():
    primary = {
        "ENGINE": "amrutam.db.backends.pgbouncer",
        "NAME": "amrutam",
        "HOST": "db-primary",
        "PORT": 6432,
        "USER": "app",
        "PASSWORD": "primary-secret",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "HEALTH_CHECK_IDLE_SECONDS": 1.0,
        "OPTIONS": {"options": "-c statement_timeout=10000", "connect_timeout": 5},
    }

    replica = replica_config(primary, "postgres://reader:r-secret@db-standby:5433/amrutam_ro", 2)

    assert replica == {
        "ENGINE": "amrutam.db.backends.pgbouncer",
        "NAME": "amrutam_ro",
        "HOST": "db-standby",
        "PORT": 5433,
        "USER": "reader",
        "PASSWORD": "r-secret",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        # Whether reads go to the replica is decided by its check: never skipped.
        "HEALTH_CHECK_IDLE_SECONDS": 0,
        "OPTIONS": {"options": "-c statement_timeout=10000", "connect_timeout": 2},
    }
    assert primary["OPTIONS"]["connect_timeout"] == 5  # the primary's own dict is untouched


def test_lag_tolerant_selectors_read_from_the_primary_without_a_replica():
    with override_settings(READ_REPLICA=None):
        assert read_alias() == PRIMARY
        assert audit_entry_list().db == PRIMARY


def test_reads_go_to_the_primary_while_the_replica_breaker_is_open():
    breaker.trip()
    try:
        with override_settings(READ_REPLICA="replica"):
            assert read_alias() == PRIMARY
            assert audit_entry_list().db == PRIMARY
    finally:
        breaker.reset()


def test_migrations_never_run_on_the_replica():
    router = ReplicaRouter()

    assert router.allow_migrate("replica", "audit") is False
    assert router.allow_migrate("default", "audit") is None
    assert router.db_for_write(object) == PRIMARY
