"""Bookings raced by threads released together: exactly once per slot and per key."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from consultations.idempotency import KEY_LOCK
from consultations.models import Consultation, IdempotencyRecord
from doctors.models import AvailabilitySlot, SlotStatus

from .concurrency import race
from .conftest import BOOKINGS_URL, new_key

concurrent = pytest.mark.django_db(transaction=True)
# Each test runs on direct connections and again through PgBouncer in transaction
# pooling, where a client's transactions may land on different server connections;
# and on both booking paths.
pytestmark = pytest.mark.usefixtures("database_route", "booking_path")


def _booking_job(token: str, slot: Any, key: str, reason: str = "") -> Any:
    body = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk), "reason": reason}

    def job() -> Any:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post(BOOKINGS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    return job


def _statuses(responses: list[Any]) -> Counter:
    errors = [r for r in responses if isinstance(r, Exception)]
    assert errors == []
    return Counter(r.status_code for r in responses)


def _race_distinct_keys(token_for, slot: Any, count: int) -> list[Any]:
    patients = [UserFactory(role="PATIENT") for _ in range(count)]
    jobs = [_booking_job(token_for(p), slot, new_key()) for p in patients]
    return race(jobs)


def _race_one_key(token_for, slot: Any, count: int) -> list[Any]:
    token, key = token_for(UserFactory(role="PATIENT")), new_key()
    return race([_booking_job(token, slot, key, reason="Fever") for _ in range(count)])


def _assert_one_booking_per_slot(responses: list[Any], slot: Any, count: int) -> None:
    assert _statuses(responses) == {201: 1, 409: count - 1}
    codes = {r.json()["code"] for r in responses if r.status_code == 409}
    assert codes == {"slot_unavailable"}
    assert Consultation.objects.filter(slot=slot).count() == 1
    assert AvailabilitySlot.objects.get(pk=slot.pk).status == SlotStatus.BOOKED


def _assert_one_booking_for_the_key(responses: list[Any], slot: Any) -> None:
    originals = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    replays = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" in r]
    in_progress = [r for r in responses if r.status_code == 409]
    assert len(originals) == 1
    assert len(originals) + len(replays) + len(in_progress) == len(responses)
    assert all(r.content == originals[0].content for r in replays)
    assert {r.json()["code"] for r in in_progress} <= {"idempotency_key_in_progress"}
    assert Consultation.objects.filter(slot=slot).count() == 1
    assert IdempotencyRecord.objects.count() == 1


@concurrent
def test_forty_bookings_of_one_slot_with_distinct_keys_book_it_once(token_for, slot):
    responses = _race_distinct_keys(token_for, slot, 40)

    _assert_one_booking_per_slot(responses, slot, 40)
    assert Consultation.objects.count() == 1


@concurrent
def test_twenty_requests_with_one_key_book_once(token_for, slot):
    responses = _race_one_key(token_for, slot, 20)

    _assert_one_booking_for_the_key(responses, slot)


@concurrent
def test_without_redis_forty_bookings_of_one_slot_book_it_once(redis_down, token_for, slot):
    responses = _race_distinct_keys(token_for, slot, 40)

    _assert_one_booking_per_slot(responses, slot, 40)


@concurrent
def test_without_redis_twenty_requests_with_one_key_book_once(redis_down, token_for, slot):
    responses = _race_one_key(token_for, slot, 20)

    # The in-flight lock is the database's, so it holds without Redis: one booking,
    # and every other request is a replay of it or 409 in progress.
    _assert_one_booking_for_the_key(responses, slot)


@concurrent
def test_without_redis_one_key_on_different_slots_books_one_of_them(
    redis_down, token_for, doctor, slot_at
):
    token, key = token_for(UserFactory(role="PATIENT")), new_key()
    slots = [slot_at(120 + 60 * i) for i in range(8)]

    responses = race([_booking_job(token, s, key) for s in slots])

    # One books; the others are refused as a reuse of the key for another request, or
    # (while the winner still runs) as in progress.
    statuses = _statuses(responses)
    assert statuses[201] == 1
    assert statuses[422] + statuses[409] == 7
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "idempotency_key_in_progress"
    }
    assert Consultation.objects.count() == 1
    assert AvailabilitySlot.objects.filter(status=SlotStatus.BOOKED).count() == 1
    assert IdempotencyRecord.objects.count() == 1


@concurrent
def test_many_slots_raced_at_once_each_get_exactly_one_booking(token_for, doctor, slot_at):
    slots = [slot_at(120 + 60 * i) for i in range(5)]
    patients = [UserFactory(role="PATIENT") for _ in range(6)]
    jobs = [_booking_job(token_for(p), s, new_key()) for s in slots for p in patients]

    responses = race(jobs)

    assert _statuses(responses) == {201: 5, 409: 25}
    for s in slots:
        assert Consultation.objects.filter(slot=s).count() == 1


def _hold_key_lock(user_id: Any, key: str, locked: threading.Event, release: threading.Event):
    """In another transaction, hold the in-flight lock a request with `key` takes."""

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s::text || ':' || %s))",
                    [KEY_LOCK, user_id, key],
                )
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    return threading.Thread(target=hold)


@concurrent
def test_a_request_while_the_key_is_in_flight_is_409_in_progress(book, patient, slot):
    key = new_key()
    locked, release = threading.Event(), threading.Event()
    holder = _hold_key_lock(patient.pk, key, locked, release)
    holder.start()
    assert locked.wait(timeout=10)

    try:
        busy = book(patient, slot, key=key)
    finally:
        release.set()
        holder.join(timeout=30)
    after = book(patient, slot, key=key)

    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency_key_in_progress"
    assert after.status_code == 201
    assert "Idempotent-Replayed" not in after
    assert Consultation.objects.count() == 1


@concurrent
def test_a_5xx_stores_no_record_and_a_retry_with_the_key_succeeds(book, patient, slot, monkeypatch):
    key = new_key()
    locked, release = threading.Event(), threading.Event()

    def hold_slot_lock() -> None:
        try:
            with transaction.atomic():
                AvailabilitySlot.objects.select_for_update().get(pk=slot.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_slot_lock)
    holder.start()
    locked.wait(timeout=10)
    # A short lock timeout for this thread's next connection only, set the way the
    # settings set it (a session SET would not survive transaction pooling).
    options = connection.settings_dict["OPTIONS"]
    monkeypatch.setitem(options, "options", options["options"] + " -c lock_timeout=200ms")
    connection.close()
    try:
        failed = book(patient, slot, key=key)
    finally:
        release.set()
        holder.join(timeout=30)
        connection.close()  # back to the configured lock_timeout

    # A lock wait past lock_timeout is a dependency that is busy, not a bug: 503.
    assert failed.status_code == 503
    assert failed.json()["code"] == "service_unavailable"
    assert IdempotencyRecord.objects.count() == 0
    assert Consultation.objects.count() == 0
    retry = book(patient, slot, key=key)
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry


@concurrent
def test_without_redis_bookings_succeed_once_per_key_and_slot(redis_down, book, patient, slot):
    key = new_key()

    first = book(patient, slot, key=key)
    replay = book(patient, slot, key=key)
    other_key = book(patient, slot)

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert other_key.status_code == 409
    assert other_key.json()["code"] == "slot_unavailable"
    assert Consultation.objects.count() == 1
