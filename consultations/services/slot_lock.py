"""The slot row lock every booking takes, written in SQL.

It runs in every booking and reschedule, and the ORM spent more CPU compiling the
statement than PostgreSQL spends running it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db import connection

from doctors.models import AvailabilitySlot, DoctorProfile


@dataclass(frozen=True)
class LockedSlot:
    """A slot read under its row lock, and whether its doctor takes bookings (verified,
    account active) and the doctor's fee, read in the same statement."""

    slot: AvailabilitySlot
    doctor_bookable: bool
    fee: Decimal


@functools.cache
def _lock_slots_statement(vendor: str, count: int) -> tuple[str, tuple[list[Any], ...]]:
    """The SQL of `lock_slots` for `count` ids and each slot column's converters
    (cached per database vendor, which the SQL depends on)."""

    def quote(name: str | None) -> str:
        # Concrete fields and tables always have a name; the stubs allow None.
        return connection.ops.quote_name(cast(str, name))

    slot, doctor = AvailabilitySlot._meta, DoctorProfile._meta
    user = doctor.get_field("user").related_model._meta
    columns = ", ".join(f"s.{quote(f.column)}" for f in slot.concrete_fields)
    ids = ", ".join(["%s"] * count)
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    # Only names from the models' metadata are formatted in; the ids are parameters.
    sql = (
        f"SELECT {columns}, d.{quote('consultation_fee')}, "  # noqa: S608  # nosec B608
        f"d.{quote('is_verified')} AND u.{quote('is_active')} "
        f"FROM {quote(slot.db_table)} s "
        f"JOIN {quote(doctor.db_table)} d ON d.{quote(doctor.pk.column)} = s.{quote('doctor_id')} "
        f"JOIN {quote(user.db_table)} u ON u.{quote(user.pk.column)} = d.{quote('user_id')} "
        f"WHERE s.{quote(slot.pk.column)} IN ({ids}) ORDER BY s.{quote(slot.pk.column)}{lock}"
    )
    converters = []
    for field in slot.concrete_fields:
        column = field.get_col(slot.db_table)
        converters.append(
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        )
    return sql, tuple(converters)


_SLOT_FIELDS = [f.attname for f in AvailabilitySlot._meta.concrete_fields]


def lock_slots(slot_ids: list[Any]) -> dict[Any, LockedSlot]:
    """Lock the slots `slot_ids` (those that exist), by id."""
    # One statement ordered by primary key: concurrent callers take the row locks in
    # the same order, so two reschedules crossing the same pair of slots cannot deadlock.
    pk = AvailabilitySlot._meta.pk
    params = [pk.get_db_prep_value(pk.to_python(i), connection) for i in slot_ids]
    sql, converters = _lock_slots_statement(connection.vendor, len(params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    locked: dict[Any, LockedSlot] = {}
    for *values, fee, bookable in rows:
        for index, field in enumerate(AvailabilitySlot._meta.concrete_fields):
            for convert in converters[index]:
                values[index] = convert(values[index], field, connection)
        slot = AvailabilitySlot.from_db(connection.alias, _SLOT_FIELDS, values)
        locked[slot.pk] = LockedSlot(
            slot=slot, doctor_bookable=bool(bookable), fee=Decimal(str(fee or 0))
        )
    return locked
