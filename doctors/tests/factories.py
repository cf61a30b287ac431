"""Factories for doctor profiles and availability slots."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from doctors.models import AvailabilitySlot, DoctorProfile, SlotStatus

# The profile's `timezone` field shadows the module inside the factory's class body.
_now = timezone.now


class DoctorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoctorProfile

    user = factory.SubFactory(UserFactory, role="DOCTOR")
    specialization = "Ayurveda"
    qualifications = "BAMS"
    registration_number = factory.Sequence(lambda n: f"REG-{n:05d}")
    languages = factory.LazyFunction(lambda: ["English", "Hindi"])
    # Free by default, as every doctor was before payments; paid doctors set a fee.
    consultation_fee = Decimal("0.00")
    experience_years = 10
    timezone = "Asia/Kolkata"
    slot_minutes = 30
    is_verified = True
    verified_at = factory.LazyFunction(_now)


class SlotFactory(factory.django.DjangoModelFactory):
    """A free 30-minute slot starting `n` hours from now (distinct per sequence)."""

    class Meta:
        model = AvailabilitySlot

    doctor = factory.SubFactory(DoctorProfileFactory)
    start_time = factory.Sequence(
        lambda n: timezone.now().replace(microsecond=0) + dt.timedelta(hours=2 + n)
    )
    end_time = factory.LazyAttribute(lambda o: o.start_time + dt.timedelta(minutes=30))
    status = SlotStatus.AVAILABLE
