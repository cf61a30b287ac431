"""The export: every kind of record, decrypted, streamed with flat memory, logged, limited."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import tracemalloc

import pytest
from django.utils import timezone

from audit.models import AuditEntry, EntryKind
from consultations.models import Consultation, ConsultationStatus
from doctors.models import AvailabilitySlot, SlotStatus

from .conftest import DIAGNOSIS, EMAIL, NAME

EXPORT = "/api/v1/auth/me/export"


def _document(response) -> dict:
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


@pytest.mark.django_db
def test_export_holds_every_kind_of_record_decrypted_and_is_in_the_access_log(
    recorded_patient, client_for, doctor
):
    client = recorded_patient.client
    client.post(
        "/api/v1/auth/me/consents", {"purpose": "reminders", "granted": True}, format="json"
    )
    # A doctor's read of the record, which the access log must show.
    client_for(doctor.user).get(f"/api/v1/consultations/{recorded_patient.completed.pk}")

    response = client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    export = _document(response)["data"]["export"]
    assert set(export) == {
        "generatedAt",
        "user",
        "profile",
        "consultations",
        "payments",
        "consents",
        "accessLog",
    }
    assert (export["user"]["email"], export["user"]["name"]) == (EMAIL, NAME)
    assert export["profile"]["allergies"] == "Sentinel pollen"
    by_id = {c["id"]: c for c in export["consultations"]}
    completed = by_id[str(recorded_patient.completed.pk)]
    assert completed["reason"] == "Sentinel cough"
    assert completed["notes"]["diagnosis"] == DIAGNOSIS
    assert completed["prescription"]["items"][0]["medicine"] == "Sitopaladi"
    assert by_id[str(recorded_patient.pending.pk)]["reason"] == "Sentinel fever"
    assert export["payments"] == []
    assert {(c["purpose"], c["mode"]) for c in export["consents"]} == {
        ("telemedicine", "IMPLIED"),
        ("reminders", "EXPLICIT"),
    }
    actions = [(e["actorId"], e["action"]) for e in export["accessLog"]]
    assert (str(doctor.user.pk), "consultation.viewed") in actions
    assert (str(recorded_patient.user.pk), "account.exported") in actions
    logged = AuditEntry.objects.filter(
        kind=EntryKind.ACCESS, action="account.exported", subject_id=recorded_patient.user.pk
    )
    assert logged.count() == 1
    assert logged.get().request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_export_is_rate_limited_per_user(patient, client_for, settings):
    settings.RATELIMIT_EXPORT_PER_USER = "2/h"
    client = client_for(patient)

    statuses = [client.get(EXPORT).status_code for _ in range(3)]

    assert statuses[:2] == [200, 200]
    refused = client.get(EXPORT)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    assert statuses[2] == 429


def _consultations(patient, doctor, count: int, *, days_ago: int) -> None:
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    slots = AvailabilitySlot.objects.bulk_create(
        AvailabilitySlot(
            doctor=doctor,
            start_time=start + dt.timedelta(hours=i),
            end_time=start + dt.timedelta(hours=i, minutes=30),
            status=SlotStatus.BOOKED,
        )
        for i in range(count)
    )
    Consultation.objects.bulk_create(
        Consultation(
            patient=patient,
            doctor=doctor,
            slot=slot,
            status=ConsultationStatus.NO_SHOW,
            reason="Recurring joint pain " * 10,
            meeting_token=secrets.token_urlsafe(16),
        )
        for slot in slots
    )


def _peak_while_streaming(client) -> tuple[int, int]:
    """(peak traced bytes, document length) while the export is read chunk by chunk."""
    response = client.get(EXPORT)
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


@pytest.mark.django_db
def test_export_memory_does_not_grow_with_the_number_of_consultations(
    patient, patient_b, doctor, client_for, settings
):
    settings.RATELIMIT_EXPORT_PER_USER = "100/h"
    _consultations(patient, doctor, 100, days_ago=400)
    _consultations(patient_b, doctor, 1000, days_ago=200)

    small_peak, small_size = _peak_while_streaming(client_for(patient))
    big_peak, big_size = _peak_while_streaming(client_for(patient_b))

    # Ten times the document, not ten times the memory: rows are fetched and
    # written a chunk at a time (a list of every row would grow with the document).
    assert big_size > 8 * small_size
    assert big_peak < 2 * small_peak + 512 * 1024, (small_peak, big_peak)
