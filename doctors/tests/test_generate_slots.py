"""manage.py generate_slots: extends verified doctors' schedules; idempotent."""

import datetime as dt
import subprocess
import sys
import uuid
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from doctors.models import AvailabilitySlot, ScheduleRule
from doctors.tests.factories import DoctorProfileFactory
from doctors.tests.helpers import expected_starts

KOLKATA = ZoneInfo("Asia/Kolkata")
NINE, HALF_PAST = dt.time(9, 0), dt.time(9, 30)

pytestmark = pytest.mark.django_db


def every_day(doctor, start_minute=9 * 60, end_minute=10 * 60) -> None:
    ScheduleRule.objects.bulk_create(
        ScheduleRule(doctor=doctor, weekday=d, start_minute=start_minute, end_minute=end_minute)
        for d in range(7)
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("generate_slots", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def unverified(db):
    user = UserFactory(role="DOCTOR", name="Dr Pending")
    return DoctorProfileFactory(user=user, is_verified=False, verified_at=None)


def test_generates_for_verified_doctors_with_a_schedule_and_reports_each(
    doctor, doctor_b, unverified
):
    every_day(doctor)
    every_day(unverified)
    # doctor_b has no schedule and is left out.

    output = run("--days", "3")

    created = AvailabilitySlot.objects.filter(doctor=doctor).count()
    assert created == len(expected_starts(KOLKATA, [NINE, HALF_PAST], 3))
    assert f"{doctor.pk} Dr Doctor X: {created} slots created" in output
    assert f"Created {created} slots." in output
    assert str(doctor_b.pk) not in output
    assert AvailabilitySlot.objects.filter(doctor=unverified).count() == 0
    assert AvailabilitySlot.objects.filter(doctor=doctor_b).count() == 0


def test_a_second_run_creates_nothing(doctor):
    every_day(doctor)
    run("--days", "5")
    count = AvailabilitySlot.objects.count()

    output = run("--days", "5")

    assert AvailabilitySlot.objects.count() == count
    assert f"{doctor.pk} Dr Doctor X: 0 slots created" in output
    assert "Created 0 slots." in output


def test_a_longer_horizon_extends_the_schedule(doctor):
    every_day(doctor)
    run("--days", "2")
    before = AvailabilitySlot.objects.count()

    run("--days", "4")

    assert before == len(expected_starts(KOLKATA, [NINE, HALF_PAST], 2))
    assert AvailabilitySlot.objects.count() == before + 4


def test_defaults_to_the_booking_horizon(doctor, settings):
    settings.BOOKING_HORIZON_DAYS = 2
    every_day(doctor)

    run()

    assert AvailabilitySlot.objects.count() == len(expected_starts(KOLKATA, [NINE, HALF_PAST], 2))


def test_doctor_option_limits_the_run_to_one_doctor(doctor, doctor_b):
    every_day(doctor)
    every_day(doctor_b)

    run("--doctor", str(doctor_b.pk), "--days", "2")

    assert AvailabilitySlot.objects.filter(doctor=doctor).count() == 0
    assert AvailabilitySlot.objects.filter(doctor=doctor_b).count() == len(
        expected_starts(KOLKATA, [NINE, HALF_PAST], 2)
    )


@pytest.mark.parametrize(
    ("make_arg", "message"),
    [
        (lambda d, u: "not-a-uuid", "must be a doctor profile id"),
        (lambda d, u: str(uuid.uuid4()), "No doctor with id"),
        (lambda d, u: str(u.pk), "is not verified, is deactivated or has no weekly schedule"),
        (lambda d, u: str(d.pk), "has no weekly schedule"),
    ],
)
def test_a_bad_doctor_option_is_a_clear_error(doctor, unverified, make_arg, message):
    every_day(unverified)

    with pytest.raises(CommandError, match=message):
        run("--doctor", make_arg(doctor, unverified))

    assert AvailabilitySlot.objects.count() == 0


@pytest.mark.parametrize("days", ["0", "367", "-3"])
def test_days_out_of_range_is_an_error(doctor, days):
    every_day(doctor)

    with pytest.raises(CommandError, match="--days must be between 1 and 366"):
        run("--days", days)

    assert AvailabilitySlot.objects.count() == 0


def test_a_bad_doctor_option_exits_non_zero():
    # As an operator runs it: a separate process, so its logging setup stays its own.
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_slots", "--doctor", "nope"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "must be a doctor profile id" in result.stderr
