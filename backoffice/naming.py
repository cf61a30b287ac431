"""People and records of audit entries by name, resolved a page at a time.

A page of entries names a few dozen users and objects; they are read with one query per
kind of object (users, consultations, doctors, profiles, slots), never one per row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accounts.models import PatientProfile, User
from amrutam.common.display import local_time, short_id
from consultations.models import Consultation
from doctors.models import AvailabilitySlot, DoctorProfile


@dataclass(frozen=True)
class Named:
    name: str
    detail: str = ""  # a second line: an email, a role, a time


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _users(ids: Iterable[uuid.UUID]) -> dict[str, Named]:
    users = User.objects.filter(pk__in=set(ids)).only("id", "name", "email", "role")
    return {str(u.pk): Named(u.name or u.email, u.email) for u in users}


def _consultations(ids: Iterable[uuid.UUID]) -> dict[str, Named]:
    rows = Consultation.objects.filter(pk__in=set(ids)).select_related(
        "patient", "doctor__user", "slot"
    )
    return {
        str(c.pk): Named(
            f"Consultation of {c.patient.name or c.patient.email} with {c.doctor}",
            local_time(c.slot.start_time),
        )
        for c in rows
    }


def _doctors(ids: Iterable[uuid.UUID]) -> dict[str, Named]:
    rows = DoctorProfile.objects.filter(pk__in=set(ids)).select_related("user")
    return {str(d.pk): Named(str(d), d.user.email) for d in rows}


def _profiles(ids: Iterable[uuid.UUID]) -> dict[str, Named]:
    rows = PatientProfile.objects.filter(pk__in=set(ids)).select_related("user")
    return {
        str(p.pk): Named(f"Profile of {p.user.name or p.user.email}", p.user.email) for p in rows
    }


def _slots(ids: Iterable[uuid.UUID]) -> dict[str, Named]:
    rows = AvailabilitySlot.objects.filter(pk__in=set(ids)).select_related("doctor__user")
    return {str(s.pk): Named(f"Slot of {s.doctor}", local_time(s.start_time)) for s in rows}


RESOLVERS = {
    "user": _users,
    "consultation": _consultations,
    "doctor": _doctors,
    "doctor_profile": _doctors,
    "patient_profile": _profiles,
    "availability_slot": _slots,
}


class EntryNames:
    """Names of the actors, patients and objects of `entries`."""

    def __init__(self, entries: list[Any]) -> None:
        people = {e.actor_id for e in entries if e.actor_id} | {
            e.subject_id for e in entries if e.subject_id
        }
        wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
        for entry in entries:
            object_id = _uuid(entry.object_id)
            if object_id and entry.object_type in RESOLVERS:
                wanted[entry.object_type].add(object_id)
        wanted["user"] |= people
        self._names: dict[tuple[str, str], Named] = {}
        for object_type, ids in wanted.items():
            for key, named in RESOLVERS[object_type](ids).items():
                self._names[(object_type, key)] = named

    def person(self, user_id: Any, fallback: str = "") -> Named:
        if not user_id:
            return Named(fallback or "system")
        return self._names.get(("user", str(user_id)), Named(fallback or short_id(user_id)))

    def record(self, object_type: str, object_id: str) -> Named:
        named = self._names.get((object_type, object_id))
        if named is not None:
            return named
        label = object_type.replace("_", " ").capitalize()
        return Named(f"{label} {short_id(object_id)}" if object_id else label)
