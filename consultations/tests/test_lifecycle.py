"""Cancel, start, complete and no-show: every transition allowed and refused, time windows
and who may act."""

from __future__ import annotations

from typing import Any

import pytest

from consultations.models import Consultation, ConsultationStatus
from doctors.models import SlotStatus

from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db

ALL_STATUSES = list(ConsultationStatus.values)
# (action, who acts, slot start in minutes from now, status it leads to), chosen so that
# the time window allows the action: only the state decides.
ACTIONS = {
    "cancel": ("patient", 180, ConsultationStatus.CANCELLED),
    "start": ("doctor", 5, ConsultationStatus.ACTIVE),
    "complete": ("doctor", 5, ConsultationStatus.COMPLETED),
    "no-show": ("doctor", -20, ConsultationStatus.NO_SHOW),
}
# The lifecycle of API.md, written out rather than read from the code under test.
ALLOWED = {
    ("cancel", "PENDING"),
    ("start", "PENDING"),
    ("complete", "ACTIVE"),
    ("no-show", "PENDING"),
}


def _consultation(slot_at, patient, status: str = "PENDING", minutes: float = 180) -> Any:
    slot = slot_at(minutes, status=SlotStatus.BOOKED)
    return ConsultationFactory(slot=slot, patient=patient, status=status)


def _act(client_for, user: Any, consultation: Any, action: str, **body: Any) -> Any:
    url = f"/api/v1/consultations/{consultation.pk}/{action}"
    return client_for(user).post(url, body or None, format="json")


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_allowed_only_from_its_status(
    client_for, slot_at, patient, doctor, action, status
):
    who, minutes, target = ACTIONS[action]
    consultation = _consultation(slot_at, patient, status, minutes)
    actor = patient if who == "patient" else doctor.user

    response = _act(client_for, actor, consultation, action)

    consultation.refresh_from_db()
    if (action, status) in ALLOWED:
        assert response.status_code == 200
        assert response.json()["data"]["consultation"]["status"] == target
        assert consultation.status == target
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_state"
        assert consultation.status == status


def test_an_action_answers_the_full_consultation(client_for, slot_at, patient, doctor):
    consultation = _consultation(slot_at, patient, minutes=5)

    response = _act(client_for, doctor.user, consultation, "start")

    data = response.json()["data"]["consultation"]
    assert data["id"] == str(consultation.pk)
    assert data["reason"] == consultation.reason
    assert data["notes"] is None
    assert data["prescription"] is None


def test_patient_cancel_frees_the_slot_and_records_who_and_why(client_for, slot_at, patient):
    consultation = _consultation(slot_at, patient, minutes=61)

    response = _act(client_for, patient, consultation, "cancel", reason="Feeling better")

    data = response.json()["data"]["consultation"]
    assert response.status_code == 200
    assert data["cancelledBy"] == str(patient.pk)
    assert data["cancellationReason"] == "Feeling better"
    consultation.refresh_from_db()
    assert consultation.cancelled_at is not None
    assert consultation.slot.status == SlotStatus.AVAILABLE


def test_patient_cannot_cancel_inside_the_cutoff(client_for, slot_at, patient):
    consultation = _consultation(slot_at, patient, minutes=59)

    response = _act(client_for, patient, consultation, "cancel")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PENDING
    assert consultation.slot.status == SlotStatus.BOOKED


def test_the_cutoff_follows_the_setting(client_for, slot_at, patient, settings):
    settings.CANCELLATION_CUTOFF_MINUTES = 10
    consultation = _consultation(slot_at, patient, minutes=30)

    response = _act(client_for, patient, consultation, "cancel")

    assert response.status_code == 200


def test_doctor_cancel_until_the_start_blocks_the_slot(client_for, slot_at, patient, doctor):
    consultation = _consultation(slot_at, patient, minutes=5)

    response = _act(client_for, doctor.user, consultation, "cancel")

    assert response.status_code == 200
    assert response.json()["data"]["consultation"]["cancelledBy"] == str(doctor.user.pk)
    consultation.refresh_from_db()
    assert consultation.slot.status == SlotStatus.BLOCKED


def test_admin_cancel_blocks_the_slot(client_for, slot_at, patient, admin_user):
    consultation = _consultation(slot_at, patient, minutes=30)

    response = _act(client_for, admin_user, consultation, "cancel")

    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.cancelled_by == admin_user
    assert consultation.slot.status == SlotStatus.BLOCKED


def test_nobody_cancels_after_the_start(client_for, slot_at, patient, doctor, admin_user):
    consultation = _consultation(slot_at, patient, minutes=-1)

    answers = [_act(client_for, u, consultation, "cancel") for u in (doctor.user, admin_user)]

    assert [a.status_code for a in answers] == [409, 409]
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PENDING


def test_an_overlong_cancellation_reason_is_400(client_for, slot_at, patient):
    consultation = _consultation(slot_at, patient)

    response = _act(client_for, patient, consultation, "cancel", reason="x" * 2001)

    assert response.status_code == 400
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PENDING


@pytest.mark.parametrize(("minutes", "expected"), [(11, 409), (9, 200), (-30, 200)])
def test_start_opens_ten_minutes_before(client_for, slot_at, patient, doctor, minutes, expected):
    consultation = _consultation(slot_at, patient, minutes=minutes)

    response = _act(client_for, doctor.user, consultation, "start")

    assert response.status_code == expected
    consultation.refresh_from_db()
    assert (consultation.started_at is not None) == (expected == 200)


@pytest.mark.parametrize(("minutes", "expected"), [(-14, 409), (-16, 200)])
def test_no_show_opens_after_the_grace(client_for, slot_at, patient, doctor, minutes, expected):
    consultation = _consultation(slot_at, patient, minutes=minutes)

    response = _act(client_for, doctor.user, consultation, "no-show")

    assert response.status_code == expected


def test_an_admin_can_record_a_no_show(client_for, slot_at, patient, admin_user):
    consultation = _consultation(slot_at, patient, minutes=-20)

    response = _act(client_for, admin_user, consultation, "no-show")

    assert response.status_code == 200
    assert response.json()["data"]["consultation"]["status"] == "NO_SHOW"


def test_complete_sets_the_completion_time(client_for, slot_at, patient, doctor):
    consultation = _consultation(slot_at, patient, status="ACTIVE", minutes=-5)

    response = _act(client_for, doctor.user, consultation, "complete")

    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.completed_at is not None


@pytest.mark.parametrize(
    ("action", "status", "minutes", "role"),
    [
        ("start", "PENDING", 5, "patient"),
        ("start", "PENDING", 5, "admin"),
        ("complete", "ACTIVE", -5, "patient"),
        ("complete", "ACTIVE", -5, "admin"),
        ("no-show", "PENDING", -20, "patient"),
    ],
)
def test_roles_that_may_not_act_get_403_and_nothing_changes(
    client_for, slot_at, patient, admin_user, action, status, minutes, role
):
    consultation = _consultation(slot_at, patient, status, minutes)
    actor = patient if role == "patient" else admin_user

    response = _act(client_for, actor, consultation, action)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    consultation.refresh_from_db()
    assert consultation.status == status


@pytest.mark.parametrize(
    ("action", "status", "minutes", "outsider"),
    [
        ("cancel", "PENDING", 180, "patient_b"),
        ("cancel", "PENDING", 180, "doctor_b"),
        ("start", "PENDING", 5, "doctor_b"),
        ("complete", "ACTIVE", -5, "doctor_b"),
        ("no-show", "PENDING", -20, "doctor_b"),
    ],
)
def test_another_patient_or_doctor_gets_404_and_nothing_changes(
    request, client_for, slot_at, patient, action, status, minutes, outsider
):
    consultation = _consultation(slot_at, patient, status, minutes)
    user = request.getfixturevalue(outsider)
    actor = getattr(user, "user", user)

    response = _act(client_for, actor, consultation, action)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    consultation.refresh_from_db()
    assert consultation.status == status


@pytest.mark.parametrize("action", list(ACTIONS))
def test_actions_on_an_unknown_or_malformed_id_are_404(client_for, doctor, action):
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = client_for(doctor.user).post(f"/api/v1/consultations/{bad}/{action}")

        assert response.status_code == 404


@pytest.mark.parametrize("action", list(ACTIONS))
def test_anonymous_actions_are_401(api_client, slot_at, patient, action):
    consultation = _consultation(slot_at, patient)

    response = api_client.post(f"/api/v1/consultations/{consultation.pk}/{action}")

    assert response.status_code == 401
    assert Consultation.objects.get(pk=consultation.pk).status == "PENDING"
