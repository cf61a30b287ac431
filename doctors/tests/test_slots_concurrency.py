"""Concurrent slot writes for one doctor never leave overlapping slots and never 500."""

import datetime as dt
import threading
import time
import uuid

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from doctors.models import AvailabilitySlot

URL = "/api/v1/doctors/me/slots"


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def post_slots(token: str, start: dt.datetime, end: dt.datetime) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        URL, {"slots": [{"startTime": iso(start), "endTime": iso(end)}]}, format="json"
    )
    return response.status_code, response.json().get("code")


def overlapping_pairs(doctor) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM doctors_availabilityslot a
            JOIN doctors_availabilityslot b
              ON a.doctor_id = b.doctor_id AND a.id < b.id
             AND tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)
            WHERE a.doctor_id = %s
            """,
            [doctor.pk],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_creations_released_together_give_one_201_and_one_409(doctor, token_for):
    token = token_for(doctor.user)
    base = timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=1)
    requests = [
        (base, base + dt.timedelta(minutes=30)),
        (base + dt.timedelta(minutes=15), base + dt.timedelta(minutes=45)),
    ]
    barrier = threading.Barrier(len(requests))
    results: list = []

    def worker(start: dt.datetime, end: dt.datetime) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(post_slots(token, start, end))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=r) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [(201, None), (409, "slot_overlap")]
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 1
    assert overlapping_pairs(doctor) == 0


def _raw_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )


def _wait_for_a_lock_wait(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with _raw_connection() as probe:
        probe.autocommit = True
        while time.monotonic() < deadline:
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the service never waited on the exclusion constraint")


@pytest.mark.django_db(transaction=True)
def test_an_overlap_only_the_database_constraint_sees_is_409_not_500(doctor, token_for):
    """A writer outside the services holds an uncommitted overlapping slot.

    The service's own check cannot see it; the exclusion constraint makes the insert
    wait, then fail once that writer commits. The answer must be 409 slot_overlap.
    """
    token = token_for(doctor.user)
    start = timezone.now().replace(microsecond=0, second=0) + dt.timedelta(days=1)
    end = start + dt.timedelta(minutes=30)
    outside = _raw_connection()
    outside.execute(
        "INSERT INTO doctors_availabilityslot "
        "(id, created_at, updated_at, doctor_id, start_time, end_time, status) "
        "VALUES (%s, now(), now(), %s, %s, %s, 'AVAILABLE')",
        [uuid.uuid4(), doctor.pk, start, end],
    )
    results: list = []

    def worker() -> None:
        try:
            results.append(post_slots(token, start + dt.timedelta(minutes=10), end))
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        _wait_for_a_lock_wait()
        outside.commit()
    finally:
        thread.join(timeout=30)
        outside.close()

    assert results == [(409, "slot_overlap")]
    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 1
    assert overlapping_pairs(doctor) == 0
