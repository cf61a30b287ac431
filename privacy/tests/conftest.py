"""Fixtures of the data-rights tests: a registered patient with a full record."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from consultations.models import ClinicalNotes, ConsultationStatus, Prescription
from consultations.tests.factories import ConsultationFactory
from doctors.models import SlotStatus
from doctors.tests.factories import SlotFactory

NAME = "Qwzxsentinel Parvati"
EMAIL = "qwzx.sentinel@example.com"
PHONE = "+91 98765 01234"
PHONE_DIGITS = "9876501234"
PASSWORD = "Sentinel-Pass-42!"
DIAGNOSIS = "Vata imbalance, sentinel diagnosis"


@dataclass
class Record:
    user: Any
    client: APIClient
    completed: Any
    pending: Any


@pytest.fixture
def recorded_patient(db, doctor) -> Record:
    """A patient registered and logged in through the API, with a profile, a completed
    consultation (notes and prescription) and an upcoming booking."""
    from accounts.models import User

    client = APIClient()
    registered = client.post(
        "/api/v1/auth/register",
        {"email": EMAIL, "password": PASSWORD, "name": NAME},
        format="json",
    )
    assert registered.status_code == 201
    token = client.post(
        "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}, format="json"
    ).json()["data"]["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    patched = client.patch(
        "/api/v1/auth/me",
        {"profile": {"phone": PHONE, "allergies": "Sentinel pollen"}},
        format="json",
    )
    assert patched.status_code == 200
    user = User.objects.get(email=EMAIL)

    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
    past = SlotFactory(
        doctor=doctor,
        start_time=start,
        end_time=start + dt.timedelta(minutes=30),
        status=SlotStatus.BOOKED,
    )
    completed = ConsultationFactory(
        patient=user, slot=past, status=ConsultationStatus.COMPLETED, reason="Sentinel cough"
    )
    ClinicalNotes.objects.create(
        consultation=completed,
        author=doctor,
        symptoms="Cough",
        diagnosis=DIAGNOSIS,
        advice="Rest",
        follow_up_in_days=7,
    )
    Prescription.objects.create(
        consultation=completed,
        doctor=doctor,
        doctor_name=doctor.user.name,
        registration_number=doctor.registration_number,
        items=[
            {
                "medicine": "Sitopaladi",
                "dosage": "1 tsp",
                "frequency": "twice",
                "durationDays": 5,
                "instructions": None,
            }
        ],
        item_count=1,
    )
    upcoming = SlotFactory(doctor=doctor)
    booked = client.post(
        "/api/v1/consultations/bookings",
        {"doctorId": str(doctor.pk), "slotId": str(upcoming.pk), "reason": "Sentinel fever"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert booked.status_code == 201
    from consultations.models import Consultation

    pending = Consultation.objects.get(pk=booked.json()["data"]["consultation"]["id"])
    return Record(user=user, client=client, completed=completed, pending=pending)
