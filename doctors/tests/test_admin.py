"""Back office: doctor list with verification state, verify action, slots inline."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory, SlotFactory
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/doctors/doctorprofile/"


@pytest.fixture
def staff_client(client, admin_user):
    staff_login(client, admin_user)
    return client


@pytest.fixture
def pending(db):
    user = UserFactory(role="DOCTOR", name="Dr Pending", email="pending@example.com")
    return DoctorProfileFactory(
        user=user, is_verified=False, verified_at=None, specialization="Dermatology"
    )


def test_doctor_list_shows_verification_state(staff_client, doctor, pending):
    response = staff_client.get(LIST_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dr Doctor X" in html
    assert "Dr Pending" in html
    assert "Verify selected doctors" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("is_verified__exact=0", "Dr Pending", "Dr Doctor X"),
        ("is_verified__exact=1", "Dr Doctor X", "Dr Pending"),
        ("specialization=Dermatology", "Dr Pending", "Dr Doctor X"),
    ],
)
def test_doctor_list_filters(staff_client, doctor, pending, query, shown, hidden):
    html = staff_client.get(f"{LIST_URL}?{query}").content.decode()

    assert shown in html
    assert hidden not in html


def test_verify_action_verifies_through_the_service(staff_client, admin_user, pending):
    response = staff_client.post(
        LIST_URL, {"action": "verify_doctors", "_selected_action": [str(pending.pk)]}, follow=True
    )

    pending.refresh_from_db()
    assert response.status_code == 200
    assert pending.is_verified is True
    assert pending.verified_by == admin_user
    assert "1 doctor(s) verified." in response.content.decode()


def test_verify_action_refuses_a_doctor_without_registration_number(staff_client, pending):
    DoctorProfile.objects.filter(pk=pending.pk).update(registration_number="")

    response = staff_client.post(
        LIST_URL, {"action": "verify_doctors", "_selected_action": [str(pending.pk)]}, follow=True
    )

    pending.refresh_from_db()
    assert pending.is_verified is False
    assert "A registration number is required before verification." in response.content.decode()


def test_doctor_page_shows_upcoming_slots_read_only(staff_client, doctor):
    now = timezone.now().replace(microsecond=0)
    SlotFactory(doctor=doctor, start_time=now + dt.timedelta(hours=3, minutes=17))
    SlotFactory(doctor=doctor, start_time=now - dt.timedelta(days=2, minutes=41))

    response = staff_client.get(f"{LIST_URL}{doctor.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Upcoming slots" in html
    upcoming = timezone.localtime(now + dt.timedelta(hours=3, minutes=17))
    past = timezone.localtime(now - dt.timedelta(days=2, minutes=41))
    assert upcoming.strftime("%H:%M") in html
    assert past.strftime("%H:%M") not in html
    assert 'name="_save"' not in html


def test_slot_change_list_opens(staff_client, slot):
    response = staff_client.get("/admin/doctors/availabilityslot/")

    assert response.status_code == 200
    assert "Dr Doctor X" in response.content.decode()


def test_non_staff_users_cannot_open_the_back_office(client, doctor):
    client.force_login(doctor.user)

    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
