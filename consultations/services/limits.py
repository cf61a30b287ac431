"""Caps on the upcoming consultations one patient may hold (OWASP API6: no hoarding).

`BOOKING_MAX_UPCOMING_PER_PATIENT` bounds a patient's pending consultations that have
not started yet, `BOOKING_MAX_UPCOMING_PER_DOCTOR` those with one doctor; 0 turns a
cap off. Called inside the booking's transaction, after the slot's row lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection

from doctors.models import AvailabilitySlot

from ..errors import BookingLimitReached
from ..models import Consultation, ConsultationStatus

# First key of the two-key advisory lock on a patient's bookings ("amru"; the second
# key is a hash of the patient's id). Only bookings take it.
PATIENT_BOOKINGS_LOCK = 0x616D7275


def booking_limits_enforce(*, patient_id: Any, doctor_id: Any, now: dt.datetime) -> None:
    """Raise BookingLimitReached when one more booking would exceed a cap."""
    total_cap = settings.BOOKING_MAX_UPCOMING_PER_PATIENT
    doctor_cap = settings.BOOKING_MAX_UPCOMING_PER_DOCTOR
    if not total_cap and not doctor_cap:
        return
    total, with_doctor = _upcoming_counts(patient_id=patient_id, doctor_id=doctor_id, now=now)
    if total_cap and total >= total_cap:
        raise BookingLimitReached(
            f"You already hold {total_cap} upcoming consultations, the most allowed. "
            "Cancel one or wait until one has taken place."
        )
    if doctor_cap and with_doctor >= doctor_cap:
        raise BookingLimitReached(
            f"You already hold {doctor_cap} upcoming consultations with this doctor, "
            "the most allowed. Cancel one or wait until one has taken place."
        )


def _count_sql() -> str:
    quote = connection.ops.quote_name
    consultation, slot = Consultation._meta, AvailabilitySlot._meta
    slot_pk = str(slot.pk.column)
    # Only names from the models' metadata are formatted in; values are parameters.
    return (
        "SELECT count(*), "  # noqa: S608  # nosec B608
        f"coalesce(sum(CASE WHEN c.{quote('doctor_id')} = %s THEN 1 ELSE 0 END), 0) "
        f"FROM {quote(consultation.db_table)} c "
        f"JOIN {quote(slot.db_table)} s ON s.{quote(slot_pk)} = c.{quote('slot_id')} "
        f"WHERE c.{quote('patient_id')} = %s AND c.{quote('status')} = %s "
        f"AND s.{quote('start_time')} > %s"
    )


def _upcoming_counts(*, patient_id: Any, doctor_id: Any, now: dt.datetime) -> tuple[int, int]:
    """The patient's upcoming consultations, in total and with `doctor_id`.

    On PostgreSQL the patient's bookings first queue on an advisory lock held until
    commit, so two bookings of one patient cannot both count before either inserts.
    The lock and the count go in one round trip as two statements: under READ COMMITTED
    the count, a statement of its own, sees every booking committed while it waited.
    (SQLite runs one writing transaction at a time, so it needs no lock.)
    """
    pk = Consultation._meta.pk
    patient = pk.get_db_prep_value(pk.to_python(patient_id), connection)
    doctor = pk.get_db_prep_value(pk.to_python(doctor_id), connection)
    count = _count_sql()
    params: list[Any] = [doctor, patient, ConsultationStatus.PENDING, now]
    if connection.vendor == "postgresql":
        count = f"SELECT pg_advisory_xact_lock(%s, hashtext(%s::text)); {count}"
        params = [PATIENT_BOOKINGS_LOCK, patient, *params]
    with connection.cursor() as cursor:
        cursor.execute(count, params)
        if connection.vendor == "postgresql":
            cursor.nextset()  # past the lock's result to the count's
        total, with_doctor = cursor.fetchone()
    return int(total), int(with_doctor)
