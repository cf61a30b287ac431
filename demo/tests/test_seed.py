"""manage.py seed: the demo accounts it prints exist with the roles it names and can log in."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from consultations.models import Consultation, ConsultationStatus
from doctors.models import AvailabilitySlot, DoctorProfile, ScheduleRule, SlotStatus

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(r"^\s+(admin|doctor|patient)\s+(\S+@\S+)", re.MULTILINE)
PASSWORD = re.compile(r"password for all: (\S+?)\)")


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def test_seed_prints_one_admin_three_doctors_and_three_patients():
    output = _seed()

    roles = [role for role, _ in LOGIN_LINE.findall(output)]
    assert roles == ["admin"] + ["doctor"] * 3 + ["patient"] * 3
    assert PASSWORD.search(output)


def test_the_printed_admin_is_back_office_staff():
    output = _seed()

    email = next(e for role, e in LOGIN_LINE.findall(output) if role == "admin")
    admin = User.objects.get(email=email)
    assert (admin.role, admin.is_staff, admin.is_superuser, admin.is_active) == (
        Role.ADMIN,
        True,
        True,
        True,
    )


def test_the_printed_doctors_are_verified_listed_and_have_schedules(client_for):
    output = _seed()

    emails = [e for role, e in LOGIN_LINE.findall(output) if role == "doctor"]
    doctors = DoctorProfile.objects.filter(user__email__in=emails).select_related("user")
    assert doctors.count() == 3
    for doctor in doctors:
        assert doctor.user.role == Role.DOCTOR
        assert doctor.is_verified is True
        assert doctor.registration_number
        assert ScheduleRule.objects.filter(doctor=doctor).exists()
    patient = User.objects.filter(role=Role.PATIENT).first()
    listed = client_for(patient).get("/api/v1/doctors").json()["data"]["doctors"]
    assert {d["id"] for d in listed} == {str(d.pk) for d in doctors}
    assert all(d["nextAvailableSlot"] is not None for d in listed)


def test_the_printed_patients_have_profiles_and_a_consultation_each():
    output = _seed()

    emails = [e for role, e in LOGIN_LINE.findall(output) if role == "patient"]
    patients = User.objects.filter(email__in=emails)
    assert patients.count() == 3
    for patient in patients:
        assert patient.role == Role.PATIENT
        assert PatientProfile.objects.filter(user=patient).count() == 1
        assert Consultation.objects.filter(patient=patient).count() == 1


def test_every_printed_login_works_with_the_printed_password(api_client):
    output = _seed()
    password = PASSWORD.search(output).group(1)

    for role, email in LOGIN_LINE.findall(output):
        response = api_client.post(
            "/api/v1/auth/login", {"email": email, "password": password}, format="json"
        )
        assert response.status_code == 200, email
        assert response.json()["data"]["user"]["role"] == role.upper()


def test_seed_runs_under_production_settings_with_force(settings):
    settings.SETTINGS_MODULE = "amrutam.settings.production"

    output = _seed("--force")

    assert "Demo data ready" in output
    assert DoctorProfile.objects.filter(is_verified=True).count() == 3


def test_seed_loads_schedules_and_consultations_and_is_idempotent():
    first = _seed()
    counts = (
        User.objects.count(),
        DoctorProfile.objects.count(),
        ScheduleRule.objects.count(),
        AvailabilitySlot.objects.count(),
        Consultation.objects.count(),
    )

    second = _seed()

    assert "dr.sharma@amrutam.example" in first
    assert "priya@amrutam.example" in second
    assert counts[1] == 3
    assert counts[2] == 3 * 12
    assert counts[4] == 3
    assert (
        User.objects.count(),
        DoctorProfile.objects.count(),
        ScheduleRule.objects.count(),
        AvailabilitySlot.objects.count(),
        Consultation.objects.count(),
    ) == counts
    week = timezone.now() + dt.timedelta(days=7)
    for doctor in DoctorProfile.objects.all():
        assert AvailabilitySlot.objects.filter(doctor=doctor, start_time__lt=week).count() > 0
    for consultation in Consultation.objects.select_related("slot"):
        assert consultation.status == ConsultationStatus.PENDING
        assert consultation.slot.status == SlotStatus.BOOKED


def test_seed_refuses_production_settings_without_force(settings):
    settings.SETTINGS_MODULE = "amrutam.settings.production"

    with pytest.raises(CommandError, match="--force"):
        call_command("seed", stdout=StringIO())

    assert User.objects.count() == 0
