"""Names, times, weekdays, languages and money as staff read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client, override_settings

from amrutam.common.display import clock, doctor_name, languages, money, weekday_name
from backoffice.checks import clinic_time_zone_check
from backoffice.roles import CLINIC_ADMIN
from doctors.models import ScheduleRule
from tests.backoffice import staff_login


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Sara Khan", "Dr Sara Khan"),
        ("Dr Sara Khan", "Dr Sara Khan"),
        ("Dr. Sara Khan", "Dr. Sara Khan"),
        ("dr sara", "dr sara"),
        ("Drishti Rao", "Dr Drishti Rao"),  # a name that starts with "Dr", not the title
    ],
)
def test_the_doctor_title_is_added_once(name, shown):
    assert doctor_name(name) == shown


def test_minutes_weekdays_languages_and_money_read_as_people_write_them():
    assert (clock(540), clock(780), clock(1440)) == ("09:00", "13:00", "24:00")
    assert (weekday_name(0), weekday_name(6)) == ("Monday", "Sunday")
    assert languages(["English", "Hindi"]) == "English, Hindi"
    assert money(Decimal("1500.00")) == "₹1,500.00"
    assert money(Decimal("20"), "CHF") == "20.00 CHF"


@override_settings(CLINIC_TIME_ZONE="Mars/Olympus")
def test_an_unknown_clinic_time_zone_fails_the_start_up_check():
    errors = clinic_time_zone_check()

    assert [e.id for e in errors] == ["backoffice.E001"]
    assert "Mars/Olympus" in errors[0].msg


@pytest.mark.django_db
def test_the_consultation_list_shows_names_and_clinic_time(staff, consultation_at):
    consultation = consultation_at(1, 9, reason="x")
    browser = Client()
    staff_login(browser, staff(CLINIC_ADMIN))

    html = browser.get("/admin/consultations/consultation/").content.decode()

    assert "09:00 IST" in html
    assert consultation.patient.name in html
    assert "Dr Doctor X" in html and "Dr Dr" not in html
    assert f">{str(consultation.pk)[:8]}</a>" in html  # short reference, full id in the link


@pytest.mark.django_db
@override_settings(CLINIC_TIME_ZONE="Europe/London")
def test_the_clinic_time_zone_is_a_setting(staff, consultation_at):
    consultation = consultation_at(1, 9)
    browser = Client()
    staff_login(browser, staff(CLINIC_ADMIN))

    html = browser.get("/admin/consultations/consultation/").content.decode()

    start = consultation.slot.start_time.astimezone(dt.UTC)
    assert start.strftime("%H:%M") in ("09:00", "08:00")  # stored as UTC (GMT or BST)
    assert "09:00 GMT" in html or "09:00 BST" in html


@pytest.mark.django_db
def test_the_doctor_page_reads_like_a_profile(staff, doctor):
    doctor.consultation_fee = Decimal("500.00")
    doctor.save(update_fields=["consultation_fee"])
    ScheduleRule.objects.create(doctor=doctor, weekday=0, start_minute=540, end_minute=780)
    browser = Client()
    staff_login(browser, staff(CLINIC_ADMIN))

    html = browser.get(f"/admin/doctors/doctorprofile/{doctor.pk}/change/").content.decode()

    assert "<h1>Dr Doctor X</h1>" in html
    assert "English, Hindi" in html and '["English"' not in html
    assert "₹500.00" in html
    assert "Monday" in html and "09:00" in html and "13:00" in html
    assert 'name="_save"' not in html


@pytest.mark.django_db
def test_the_patient_profile_is_titled_by_name_and_offers_no_save(staff, patient):
    from accounts.models import PatientProfile

    profile, _ = PatientProfile.objects.get_or_create(user=patient)
    browser = Client()
    staff_login(browser, staff(CLINIC_ADMIN))

    url = f"/admin/accounts/patientprofile/{profile.pk}/change/"
    html = browser.get(url).content.decode()

    assert "<h1>Profile of Patient A</h1>" in html
    assert str(patient.pk) not in html.split("<h1>")[1].split("</h1>")[0]
    assert 'name="_save"' not in html
