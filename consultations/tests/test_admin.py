"""The consultations back office: lists, filters, PHI only with permission, actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.tests.factories import UserFactory
from consultations.models import ClinicalNotes, ConsultationStatus
from doctors.models import SlotStatus
from tests.backoffice import staff_login

from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/consultations/consultation/"
SENTINEL = "SENTINEL-reason-5521"


def _staff(*codenames: str) -> Any:
    user = UserFactory(role="ADMIN", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="consultations", codename=codename)
        )
    return user


def _browser(user: Any) -> Client:
    client = Client()
    staff_login(client, user)
    return client


@pytest.fixture
def consultation(slot_at, patient) -> Any:
    return ConsultationFactory(
        slot=slot_at(180, status=SlotStatus.BOOKED), patient=patient, reason=SENTINEL
    )


def test_the_list_shows_consultations_without_phi(admin_user, consultation):
    response = _browser(admin_user).get(CHANGELIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert str(consultation.pk) in html
    assert consultation.patient.email in html
    assert SENTINEL not in html


def test_the_list_searches_by_patient_email(admin_user, consultation, slot_at, patient_b):
    other = ConsultationFactory(slot=slot_at(300, status=SlotStatus.BOOKED), patient=patient_b)

    response = _browser(admin_user).get(CHANGELIST, {"q": "patient.b@"})

    html = response.content.decode()
    assert str(other.pk) in html
    assert str(consultation.pk) not in html


def test_the_list_filters_by_status_and_doctor(admin_user, consultation, doctor_b):
    other = ConsultationFactory(slot__doctor=doctor_b, status=ConsultationStatus.CANCELLED)
    browser = _browser(admin_user)

    by_status = browser.get(CHANGELIST, {"status__exact": "CANCELLED"}).content.decode()
    by_doctor = browser.get(CHANGELIST, {"doctor": str(doctor_b.pk)}).content.decode()

    assert str(other.pk) in by_status
    assert str(consultation.pk) not in by_status
    assert str(other.pk) in by_doctor
    assert str(consultation.pk) not in by_doctor


def test_the_list_filters_by_date(admin_user, consultation):
    day = consultation.slot.start_time.replace(hour=0, minute=0, second=0)
    browser = _browser(admin_user)

    that_day = browser.get(
        CHANGELIST,
        {"slot__start_time__gte": str(day), "slot__start_time__lt": str(day + dt.timedelta(1))},
    )
    day_before = browser.get(
        CHANGELIST,
        {"slot__start_time__gte": str(day - dt.timedelta(1)), "slot__start_time__lt": str(day)},
    )

    assert str(consultation.pk) in that_day.content.decode()
    assert str(consultation.pk) not in day_before.content.decode()


def test_staff_without_the_phi_permission_do_not_see_it(phi_reads, consultation):
    viewer = _staff("view_consultation")

    response = _browser(viewer).get(f"{CHANGELIST}{consultation.pk}/change/")

    assert response.status_code == 200
    assert SENTINEL not in response.content.decode()
    assert phi_reads == []


def test_staff_with_the_phi_permission_see_it_read_only_on_the_access_log(
    phi_reads, consultation, doctor
):
    consultation.status = ConsultationStatus.ACTIVE
    consultation.started_at = consultation.created_at
    consultation.save()
    ClinicalNotes.objects.create(
        consultation=consultation,
        author=doctor,
        symptoms="s",
        diagnosis="Tension <b>headache</b>",
        advice="a",
    )
    viewer = _staff("view_consultation", "view_phi")

    response = _browser(viewer).get(f"{CHANGELIST}{consultation.pk}/change/")

    html = response.content.decode()
    assert SENTINEL in html
    assert "Tension &lt;b&gt;headache&lt;/b&gt;" in html
    assert 'name="_save"' not in html
    assert [(r["action"], r["actor"], r["subject_id"]) for r in phi_reads] == [
        ("consultation.viewed", viewer, consultation.patient_id)
    ]


def test_nothing_is_added_edited_or_deleted_here(admin_user, consultation):
    browser = _browser(admin_user)

    add = browser.get(f"{CHANGELIST}add/")
    delete = browser.get(f"{CHANGELIST}{consultation.pk}/delete/")
    edit = browser.post(f"{CHANGELIST}{consultation.pk}/change/", {"status": "COMPLETED"})

    assert add.status_code == 403
    assert delete.status_code == 403
    assert edit.status_code == 403
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PENDING


def _run_action(user: Any, action: str, *consultations: Any) -> Any:
    return _browser(user).post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(c.pk) for c in consultations]},
        follow=True,
    )


def test_the_cancel_action_goes_through_the_service(admin_user, consultation):
    response = _run_action(admin_user, "cancel_selected", consultation)

    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.CANCELLED
    assert consultation.cancelled_by == admin_user
    assert consultation.slot.status == SlotStatus.BLOCKED


def test_the_no_show_action_refuses_what_the_service_refuses(admin_user, consultation, slot_at):
    missed = ConsultationFactory(slot=slot_at(-30, status=SlotStatus.BOOKED))

    response = _run_action(admin_user, "mark_no_show_selected", consultation, missed)

    missed.refresh_from_db()
    consultation.refresh_from_db()
    assert missed.status == ConsultationStatus.NO_SHOW
    assert consultation.status == ConsultationStatus.PENDING
    assert "no-show can be recorded from" in response.content.decode()


def test_staff_who_may_only_view_have_no_actions(consultation):
    viewer = _staff("view_consultation")

    response = _run_action(viewer, "cancel_selected", consultation)

    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PENDING
    assert response.status_code == 200
