"""A small clinic for the security tests: two patients, two doctors, an admin, and
consultations of patient A with doctor X in every state an endpoint needs.

Patient B and doctor Y are the intruders of A's and X's objects; `owned_rows` lets a
test prove that whatever B or Y did, nothing of A or X changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

ACTORS = ("anonymous", "patient_a", "patient_b", "doctor_x", "doctor_y", "admin")
# Each actor's peer: the user of the same role whose objects it must never touch.
PEER = {"patient_a": "patient_b", "patient_b": "patient_a", "doctor_x": "doctor_y"}
PEER["doctor_y"] = "doctor_x"


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, str] = field(default_factory=dict)

    def user(self, actor: str) -> Any:
        return self.users.get(actor)

    def fill(self, value: Any) -> Any:
        """`value` with every "{name}" replaced by that object's id (recursively)."""
        if isinstance(value, str):
            return value.format_map(self.ids)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value


def _slot(doctor: Any, minutes: int, **kwargs: Any) -> Any:
    from doctors.tests.factories import SlotFactory

    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes)
    return SlotFactory(
        doctor=doctor, start_time=start, end_time=start + dt.timedelta(minutes=30), **kwargs
    )


def _consultation(patient: Any, doctor: Any, minutes: int, status: str) -> Any:
    from consultations.tests.factories import ConsultationFactory
    from doctors.models import SlotStatus

    slot = _slot(doctor, minutes, status=SlotStatus.BOOKED)
    return ConsultationFactory(patient=patient, slot=slot, doctor=doctor, status=status)


def _webhook(admin_user: Any) -> Any:
    from notifications.webhooks import webhook_create

    # An IP literal: a public address the check accepts without a DNS lookup.
    return webhook_create(
        url="https://93.184.215.14/hooks", events=["consultation.booked"], created_by=admin_user
    ).endpoint


@pytest.fixture
def world(patient, patient_b, doctor, doctor_b, admin_user) -> World:
    from accounts.mfa_login import mfa_token_issue
    from accounts.models import PatientProfile
    from accounts.tests.factories import UserFactory, totp_code
    from accounts.tokens import token_pair_for
    from consent.models import ConsentRecord
    from consultations.models import ClinicalNotes, ConsultationStatus, Prescription
    from doctors.models import ScheduleRule
    from doctors.tests.factories import DoctorProfileFactory

    for person in (patient, patient_b):
        PatientProfile.objects.get_or_create(
            user=person, defaults={"allergies": f"Allergies of {person.name}"}
        )
    unverified = DoctorProfileFactory(
        user=UserFactory(role="DOCTOR", email="doctor.u@example.com", name="Doctor U"),
        is_verified=False,
        verified_at=None,
    )
    for profile in (doctor, doctor_b):
        ScheduleRule.objects.create(doctor=profile, weekday=0, start_minute=540, end_minute=780)

    pending = _consultation(patient, doctor, 24 * 60, ConsultationStatus.PENDING)
    soon = _consultation(patient, doctor, 5, ConsultationStatus.PENDING)
    missed = _consultation(patient, doctor, -50, ConsultationStatus.PENDING)
    active = _consultation(patient, doctor, -150, ConsultationStatus.ACTIVE)
    done = _consultation(patient, doctor, -26 * 60, ConsultationStatus.COMPLETED)
    ClinicalNotes.objects.create(
        consultation=done, author=doctor, symptoms="Cough", diagnosis="Cold", advice="Rest"
    )
    Prescription.objects.create(
        consultation=done,
        doctor=doctor,
        doctor_name=doctor.user.name,
        registration_number=doctor.registration_number,
        items=[{"medicine": "Tulsi", "dosage": "5 ml", "frequency": "twice", "durationDays": 5}],
        item_count=1,
    )
    consent_a = ConsentRecord.objects.create(
        user=patient, purpose="reminders", granted=True, mode="EXPLICIT", notice_version="1"
    )
    # Patient B's own consultation with doctor Y: what A and X must never see.
    theirs = _consultation(patient_b, doctor_b, 48 * 60, ConsultationStatus.PENDING)

    world = World(
        users={
            "patient_a": patient,
            "patient_b": patient_b,
            "doctor_x": doctor.user,
            "doctor_y": doctor_b.user,
            "admin": admin_user,
        }
    )
    world.ids.update(
        doctor_x=str(doctor.pk),
        doctor_y=str(doctor_b.pk),
        doctor_u=str(unverified.pk),
        slot_free=str(_slot(doctor, 3 * 60).pk),
        slot_free2=str(_slot(doctor, 5 * 60).pk),
        slot_book=str(_slot(doctor, 7 * 60).pk),
        slot_y=str(_slot(doctor_b, 3 * 60).pk),
        c_pending=str(pending.pk),
        c_soon=str(soon.pk),
        c_missed=str(missed.pk),
        c_active=str(active.pk),
        c_done=str(done.pk),
        c_theirs=str(theirs.pk),
        webhook=str(_webhook(admin_user).pk),
        consent_a=str(consent_a.pk),
        refresh_a=token_pair_for(patient).refresh,
        mfa_token_x=mfa_token_issue(user=doctor.user),
        code_x=totp_code(doctor.user),
        email_a=patient.email,
        time_off_start=(timezone.now() + dt.timedelta(hours=2)).isoformat(),
        time_off_end=(timezone.now() + dt.timedelta(hours=8)).isoformat(),
        new_slot_start=(timezone.now() + dt.timedelta(days=3)).replace(microsecond=0).isoformat(),
        new_slot_end=(timezone.now() + dt.timedelta(days=3, minutes=30))
        .replace(microsecond=0)
        .isoformat(),
    )
    return world


@pytest.fixture
def client_as(world, token_for):
    """An APIClient for `actor` ("anonymous": no Authorization header)."""
    from rest_framework.test import APIClient

    def make(actor: str) -> APIClient:
        client = APIClient()
        user = world.user(actor)
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


def _models() -> dict[str, Any]:
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    from accounts.models import MFAChallenge, PatientProfile, RecoveryCode, TOTPDevice, User
    from consent.models import ConsentRecord
    from consultations.models import ClinicalNotes, Consultation, Prescription
    from doctors.models import AvailabilitySlot, DoctorProfile, ScheduleRule, TimeOff
    from privacy.models import ErasureRequest

    return {
        "user": User,
        "totp_devices": TOTPDevice,
        "recovery_codes": RecoveryCode,
        "mfa_challenges": MFAChallenge,
        "patient_profile": PatientProfile,
        "doctor_profile": DoctorProfile,
        "slots": AvailabilitySlot,
        "schedule": ScheduleRule,
        "time_off": TimeOff,
        "consultations": Consultation,
        "notes": ClinicalNotes,
        "prescriptions": Prescription,
        "refresh_tokens": OutstandingToken,
        "revoked_tokens": BlacklistedToken,
        "consents": ConsentRecord,
        "erasures": ErasureRequest,
    }


# How each table's rows lead to the users they belong to.
OWNER = {
    "user": lambda user: Q(pk=user.pk),
    "totp_devices": lambda user: Q(user=user),
    "recovery_codes": lambda user: Q(user=user),
    "mfa_challenges": lambda user: Q(user=user),
    "patient_profile": lambda user: Q(user=user),
    "doctor_profile": lambda user: Q(user=user),
    "slots": lambda user: Q(doctor__user=user),
    "schedule": lambda user: Q(doctor__user=user),
    "time_off": lambda user: Q(doctor__user=user),
    "consultations": lambda user: Q(patient=user) | Q(doctor__user=user),
    "notes": lambda user: Q(consultation__patient=user) | Q(consultation__doctor__user=user),
    "prescriptions": lambda user: (
        Q(consultation__patient=user) | Q(consultation__doctor__user=user)
    ),
    "refresh_tokens": lambda user: Q(user=user),
    "revoked_tokens": lambda user: Q(token__user=user),
    "consents": lambda user: Q(user=user),
    "erasures": lambda user: Q(patient=user),
}


def _dump(queryset: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in queryset.order_by("pk").values()]


def owned_rows(user: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row that belongs to `user` (as a party), with all its column values."""
    return {
        name: _dump(model.objects.filter(OWNER[name](user))) for name, model in _models().items()
    }


def all_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table that holds users' data, with all its column values."""
    return {name: _dump(model.objects.all()) for name, model in _models().items()}
