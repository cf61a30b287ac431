"""Mass assignment: fields a client may not set (role, staff flags, isVerified, status,
owner ids, signer names) are refused or ignored in every writing body, never stored."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import User
from consultations.models import Consultation, ConsultationStatus, Prescription
from doctors.models import AvailabilitySlot, DoctorProfile, ScheduleRule, SlotStatus

pytestmark = pytest.mark.django_db

PRIVILEGED = {
    "isStaff": True,
    "is_staff": True,
    "isSuperuser": True,
    "is_superuser": True,
    "isVerified": True,
    "is_verified": True,
    "tokenVersion": 99,
    "status": "ACTIVE",
}


@pytest.mark.parametrize("role", ["PATIENT", "DOCTOR"])
def test_registration_ignores_privilege_fields(api_client, role):
    chosen_id = str(uuid.uuid4())

    response = api_client.post(
        "/api/v1/auth/register",
        {
            "email": "new@example.com",
            "password": "Violet-Ledger-93!",
            "name": "New",
            "role": role,
            "id": chosen_id,
            **PRIVILEGED,
        },
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(email="new@example.com")
    assert (user.role, user.is_staff, user.is_superuser, user.token_version) == (
        role,
        False,
        False,
        0,
    )
    assert str(user.pk) != chosen_id
    if role == "DOCTOR":
        assert DoctorProfile.objects.get(user=user).is_verified is False


@pytest.mark.parametrize("role", ["ADMIN", "admin", "Admin"])
def test_registration_as_admin_is_refused_in_any_spelling(api_client, role):
    response = api_client.post(
        "/api/v1/auth/register",
        {"email": "boss@example.com", "password": "Violet-Ledger-93!", "name": "B", "role": role},
        format="json",
    )

    assert response.status_code in (400, 403)
    assert not User.objects.filter(email="boss@example.com").exists()


@pytest.mark.parametrize(
    "field",
    ["role", "email", "isStaff", "is_staff", "id", "tokenVersion", "isActive"],
)
def test_patch_me_refuses_identity_and_privilege_fields(world, client_as, field):
    patient = world.user("patient_a")
    before = User.objects.filter(pk=patient.pk).values().get()

    response = client_as("patient_a").patch(
        "/api/v1/auth/me", {"name": "Renamed", field: "ADMIN"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert User.objects.filter(pk=patient.pk).values().get() == before


def test_doctor_profile_patch_cannot_verify_or_move_the_profile(world, client_as):
    unverified = DoctorProfile.objects.get(pk=world.ids["doctor_u"])
    from rest_framework.test import APIClient

    from accounts.tokens import access_token_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(unverified.user)}")

    response = client.patch(
        "/api/v1/doctors/me",
        {
            "bio": "Ayurvedic physician",
            "is_verified": True,
            "verifiedAt": "2025-01-01T00:00:00Z",
            "verifiedBy": str(world.user("admin").pk),
            "user": str(world.user("doctor_x").pk),
            "id": str(uuid.uuid4()),
        },
        format="json",
    )

    assert response.status_code == 200
    unverified.refresh_from_db()
    assert unverified.bio == "Ayurvedic physician"
    assert (unverified.is_verified, unverified.verified_at, unverified.verified_by_id) == (
        False,
        None,
        None,
    )
    assert unverified.user.email == "doctor.u@example.com"


def test_booking_for_another_patient_or_in_another_state_books_for_the_caller(world, client_as):
    response = client_as("patient_a").post(
        "/api/v1/consultations/bookings",
        {
            "doctorId": world.ids["doctor_x"],
            "slotId": world.ids["slot_book"],
            "patientId": str(world.user("patient_b").pk),
            "status": "COMPLETED",
            "meetingLink": "https://evil.example/x",
            "id": str(uuid.uuid4()),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="mass-1",
    )

    assert response.status_code == 201
    booked = Consultation.objects.get(slot_id=world.ids["slot_book"])
    assert (booked.patient_id, booked.status) == (
        world.user("patient_a").pk,
        ConsultationStatus.PENDING,
    )
    assert "evil.example" not in response.json()["data"]["consultation"]["meetingLink"]


def test_slot_creation_ignores_status_owner_and_id(world, client_as):
    chosen_id = str(uuid.uuid4())
    start, end = world.ids["new_slot_start"], world.ids["new_slot_end"]

    response = client_as("doctor_x").post(
        "/api/v1/doctors/me/slots",
        {
            "doctorId": world.ids["doctor_y"],
            "slots": [
                {
                    "startTime": start,
                    "endTime": end,
                    "status": "BOOKED",
                    "doctorId": world.ids["doctor_y"],
                    "id": chosen_id,
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 201
    created = AvailabilitySlot.objects.get(pk=response.json()["data"]["slots"][0]["id"])
    assert (str(created.doctor_id), created.status) == (world.ids["doctor_x"], SlotStatus.AVAILABLE)
    assert str(created.pk) != chosen_id


def test_schedule_naming_another_doctor_changes_only_the_callers(world, client_as):
    theirs = list(ScheduleRule.objects.filter(doctor_id=world.ids["doctor_y"]).values())

    response = client_as("doctor_x").put(
        "/api/v1/doctors/me/schedule",
        {
            "doctorId": world.ids["doctor_y"],
            "rules": [{"weekday": 4, "start": "09:00", "end": "10:00"}],
        },
        format="json",
    )

    assert response.status_code == 200
    assert list(ScheduleRule.objects.filter(doctor_id=world.ids["doctor_y"]).values()) == theirs
    assert list(
        ScheduleRule.objects.filter(doctor_id=world.ids["doctor_x"]).values_list(
            "weekday", flat=True
        )
    ) == [4]


def test_cancel_records_the_real_canceller_whatever_the_body_says(world, client_as):
    response = client_as("patient_a").post(
        f"/api/v1/consultations/{world.ids['c_pending']}/cancel",
        {
            "reason": "Travelling",
            "status": "COMPLETED",
            "cancelledBy": str(world.user("doctor_x").pk),
            "patientId": str(world.user("patient_b").pk),
        },
        format="json",
    )

    assert response.status_code == 200
    consultation = Consultation.objects.get(pk=world.ids["c_pending"])
    assert (consultation.status, consultation.cancelled_by_id, consultation.patient_id) == (
        ConsultationStatus.CANCELLED,
        world.user("patient_a").pk,
        world.user("patient_a").pk,
    )


def test_reschedule_onto_another_doctors_slot_is_refused_and_changes_nothing(world, client_as):
    before = Consultation.objects.filter(pk=world.ids["c_pending"]).values().get()

    response = client_as("patient_a").post(
        f"/api/v1/consultations/{world.ids['c_pending']}/reschedule",
        {"slotId": world.ids["slot_y"], "doctorId": world.ids["doctor_y"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="mass-2",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert Consultation.objects.filter(pk=world.ids["c_pending"]).values().get() == before
    assert AvailabilitySlot.objects.get(pk=world.ids["slot_y"]).status == SlotStatus.AVAILABLE


def test_prescription_shows_the_real_signer_whatever_the_body_says(world, client_as):
    response = client_as("doctor_x").post(
        f"/api/v1/consultations/{world.ids['c_active']}/prescription",
        {
            "items": [
                {"medicine": "Giloy", "dosage": "1", "frequency": "daily", "durationDays": 3}
            ],
            "doctorName": "Dr Forged",
            "registrationNumber": "FAKE-1",
            "doctorId": world.ids["doctor_y"],
            "consultationId": world.ids["c_theirs"],
        },
        format="json",
    )

    assert response.status_code == 201
    prescription = Prescription.objects.get(consultation_id=world.ids["c_active"])
    doctor_x = DoctorProfile.objects.get(pk=world.ids["doctor_x"])
    assert (prescription.doctor_id, prescription.doctor_name, prescription.registration_number) == (
        doctor_x.pk,
        doctor_x.user.name,
        doctor_x.registration_number,
    )
    assert not Prescription.objects.filter(consultation_id=world.ids["c_theirs"]).exists()


def test_notes_are_written_by_the_caller_on_the_consultation_of_the_url(world, client_as):
    from consultations.models import ClinicalNotes

    response = client_as("doctor_x").put(
        f"/api/v1/consultations/{world.ids['c_active']}/notes",
        {
            "symptoms": "Fever",
            "diagnosis": "Flu",
            "advice": "Rest",
            "authorId": world.ids["doctor_y"],
            "consultationId": world.ids["c_theirs"],
        },
        format="json",
    )

    assert response.status_code == 201
    notes = ClinicalNotes.objects.get(consultation_id=world.ids["c_active"])
    assert str(notes.author_id) == world.ids["doctor_x"]
    assert not ClinicalNotes.objects.filter(consultation_id=world.ids["c_theirs"]).exists()


def test_time_off_naming_another_doctor_blocks_only_the_callers_slots(world, client_as):
    response = client_as("doctor_y").post(
        "/api/v1/doctors/me/time-off",
        {
            "start": world.ids["time_off_start"],
            "end": world.ids["time_off_end"],
            "doctorId": world.ids["doctor_x"],
        },
        format="json",
    )

    assert response.status_code == 201
    assert AvailabilitySlot.objects.get(pk=world.ids["slot_free"]).status == SlotStatus.AVAILABLE
    assert AvailabilitySlot.objects.get(pk=world.ids["slot_y"]).status == SlotStatus.BLOCKED
