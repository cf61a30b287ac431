"""Consent records: implied consent at the first booking, withdrawal, the append-only history."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from consent.models import ConsentRecord, Mode
from consultations.models import Consultation, IdempotencyRecord
from consultations.tests.concurrency import race
from doctors.models import SlotStatus
from doctors.tests.factories import SlotFactory

CONSENTS = "/api/v1/auth/me/consents"
BOOKINGS = "/api/v1/consultations/bookings"


def _book(client, slot):
    body = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk)}
    return client.post(BOOKINGS, body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


@pytest.mark.django_db
def test_first_booking_records_implied_consent_once_not_per_booking(patient, doctor, client_for):
    client = client_for(patient)
    first, second = SlotFactory(doctor=doctor), SlotFactory(doctor=doctor)

    one, two = _book(client, first), _book(client, second)

    assert (one.status_code, two.status_code) == (201, 201)
    records = list(ConsentRecord.objects.filter(user=patient))
    assert len(records) == 1
    implied = records[0]
    assert (implied.purpose, implied.granted, implied.mode) == ("telemedicine", True, "IMPLIED")
    ids = {
        one.json()["data"]["consultation"]["consentId"],
        two.json()["data"]["consultation"]["consentId"],
    }
    assert ids == {str(implied.pk)}


@pytest.mark.django_db
def test_a_refused_booking_writes_no_implied_consent_to_roll_back(patient, doctor, client_for):
    # When many patients race for one slot nearly every booking is refused: a refused
    # one must not insert (and roll back) the first booking's implied consent.
    slot = SlotFactory(doctor=doctor)
    assert _book(client_for(UserFactory(role="PATIENT")), slot).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        refused = _book(client_for(patient), slot)

    assert refused.status_code == 409
    consent_table = ConsentRecord._meta.db_table
    inserts = [q["sql"] for q in queries if "INSERT INTO" in q["sql"].upper()]
    assert [sql for sql in inserts if consent_table in sql] == []
    assert not ConsentRecord.objects.filter(user=patient).exists()
    # The refusal itself is stored under the key (by the one statement or the ORM).
    assert IdempotencyRecord.objects.filter(user=patient, response_status=409).exists()


@pytest.mark.django_db
def test_booking_relies_on_the_explicit_grant_when_there_is_one(patient, slot, client_for):
    client = client_for(patient)
    granted = client.post(CONSENTS, {"purpose": "telemedicine", "granted": True}, format="json")

    booked = _book(client, slot)

    assert granted.status_code == 201
    consent_id = granted.json()["data"]["consent"]["id"]
    assert booked.json()["data"]["consultation"]["consentId"] == consent_id
    assert ConsentRecord.objects.filter(user=patient).count() == 1


@pytest.mark.django_db
def test_withdrawn_telemedicine_consent_refuses_booking_and_changes_nothing(
    patient, doctor, client_for
):
    client = client_for(patient)
    _book(client, SlotFactory(doctor=doctor))
    implied = ConsentRecord.objects.get(user=patient)
    withdrawn = client.post(f"{CONSENTS}/{implied.pk}/withdraw")
    slot = SlotFactory(doctor=doctor)

    refused = _book(client, slot)

    assert withdrawn.status_code == 200
    assert withdrawn.json()["data"]["consent"]["withdrawnAt"] is not None
    assert refused.status_code == 409
    assert refused.json()["code"] == "consent_withdrawn"
    slot.refresh_from_db()
    assert slot.status == SlotStatus.AVAILABLE
    assert Consultation.objects.filter(patient=patient).count() == 1
    assert ConsentRecord.objects.filter(user=patient).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_bookings_record_one_implied_consent(settings):
    # Four bookings with one doctor: above the hoarding cap's default, not tested here.
    settings.BOOKING_MAX_UPCOMING_PER_DOCTOR = 4
    from accounts.tokens import access_token_for
    from doctors.tests.factories import DoctorProfileFactory

    patient = UserFactory(role="PATIENT")
    doctor = DoctorProfileFactory()
    slots = [SlotFactory(doctor=doctor) for _ in range(4)]
    token = access_token_for(patient)

    def job(slot):
        def run():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            return _book(client, slot)

        return run

    responses = race([job(s) for s in slots])

    assert [r.status_code for r in responses] == [201, 201, 201, 201]
    records = list(ConsentRecord.objects.filter(user=patient))
    assert [(r.mode, r.granted) for r in records] == [(Mode.IMPLIED, True)]
    consent_ids = {r.json()["data"]["consultation"]["consentId"] for r in responses}
    assert consent_ids == {str(records[0].pk)}


@pytest.mark.django_db
def test_consent_history_keeps_the_withdrawn_grant(patient, client_for):
    client = client_for(patient)
    grant = client.post(
        CONSENTS,
        {"purpose": "reminders", "granted": True, "noticeVersion": "2024-01"},
        format="json",
    ).json()["data"]["consent"]

    client.post(f"{CONSENTS}/{grant['id']}/withdraw")
    listed = client.get(CONSENTS).json()["data"]["consents"]

    assert len(listed) == 2
    withdrawal, original = listed
    assert original["id"] == grant["id"]
    assert original["granted"] is True
    assert original["noticeVersion"] == "2024-01"
    assert original["withdrawnAt"] is not None
    assert withdrawal["granted"] is False
    assert withdrawal["purpose"] == "reminders"
    assert set(original) == {
        "id",
        "purpose",
        "granted",
        "mode",
        "noticeVersion",
        "createdAt",
        "withdrawnAt",
    }


@pytest.mark.django_db
def test_notice_version_defaults_to_the_configured_one(patient, client_for, settings):
    settings.CONSENT_NOTICE_VERSION = "v-test-7"

    created = client_for(patient).post(
        CONSENTS, {"purpose": "data_sharing", "granted": False}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["data"]["consent"]["noticeVersion"] == "v-test-7"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "marketing", "granted": True},
        {"purpose": "telemedicine"},
        {"purpose": "telemedicine", "granted": "yes"},
        {"granted": True},
    ],
)
def test_bad_consent_input_is_a_400_and_records_nothing(patient, client_for, body):
    response = client_for(patient).post(CONSENTS, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert ConsentRecord.objects.count() == 0


@pytest.mark.django_db
def test_withdrawing_twice_is_409_and_appends_nothing(patient, client_for):
    client = client_for(patient)
    grant = client.post(CONSENTS, {"purpose": "reminders", "granted": True}, format="json")
    grant_id = grant.json()["data"]["consent"]["id"]
    client.post(f"{CONSENTS}/{grant_id}/withdraw")

    again = client.post(f"{CONSENTS}/{grant_id}/withdraw")

    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    assert ConsentRecord.objects.filter(user=patient).count() == 2


@pytest.mark.django_db
def test_withdrawing_a_refusal_is_409(patient, client_for):
    client = client_for(patient)
    refusal = client.post(CONSENTS, {"purpose": "reminders", "granted": False}, format="json")

    response = client.post(f"{CONSENTS}/{refusal.json()['data']['consent']['id']}/withdraw")

    assert response.status_code == 409
    assert ConsentRecord.objects.filter(user=patient).count() == 1


@pytest.mark.django_db
def test_another_patients_consent_is_404(patient, patient_b, client_for):
    grant = client_for(patient).post(
        CONSENTS, {"purpose": "reminders", "granted": True}, format="json"
    )

    response = client_for(patient_b).post(
        f"{CONSENTS}/{grant.json()['data']['consent']['id']}/withdraw"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ConsentRecord.objects.count() == 1


@pytest.mark.django_db
def test_doctors_hold_no_consent_records(doctor, client_for):
    response = client_for(doctor.user).post(
        CONSENTS, {"purpose": "reminders", "granted": True}, format="json"
    )

    assert response.status_code == 403
    assert ConsentRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE {t} SET granted = false", "DELETE FROM {t}"])
def test_the_database_refuses_to_change_a_consent_record(patient, client_for, statement):
    client_for(patient).post(CONSENTS, {"purpose": "reminders", "granted": True}, format="json")
    table = ConsentRecord._meta.db_table

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(t=table))

    assert ConsentRecord.objects.get(user=patient).granted is True
