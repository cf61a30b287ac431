"""Factories for consultations in any state (with their slot marked as the state implies)."""

import secrets

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from consultations.models import CLINICAL_STATUSES, Consultation, ConsultationStatus
from doctors.models import SlotStatus
from doctors.tests.factories import SlotFactory


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A consultation written directly (tests only; the product books through the service)."""

    class Meta:
        model = Consultation

    slot = factory.SubFactory(SlotFactory, status=SlotStatus.BOOKED)
    doctor = factory.LazyAttribute(lambda o: o.slot.doctor)
    patient = factory.SubFactory(UserFactory, role="PATIENT")
    status = ConsultationStatus.PENDING
    reason = "Headache for three days"
    meeting_token = factory.LazyFunction(lambda: secrets.token_urlsafe(16))
    started_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status in CLINICAL_STATUSES else None
    )
    completed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == ConsultationStatus.COMPLETED else None
    )
    cancelled_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == ConsultationStatus.CANCELLED else None
    )
