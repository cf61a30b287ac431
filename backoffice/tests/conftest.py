"""Staff of each role, and consultations placed at clinic times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.tests.factories import UserFactory
from amrutam.common.timezones import clinic_midnight, clinic_today
from backoffice.roles import staff_groups_create
from consultations.tests.factories import ConsultationFactory
from doctors.models import SlotStatus
from doctors.tests.factories import SlotFactory


@pytest.fixture
def staff_groups(db) -> None:
    # The migration made them; a transactional test elsewhere may have flushed them since.
    staff_groups_create(Group, Permission)


@pytest.fixture
def staff(staff_groups) -> Callable[..., Any]:
    """A staff user (role ADMIN, not superuser) in the group `role`."""

    def make(role: str, **kwargs: Any) -> Any:
        user = UserFactory(role="ADMIN", is_staff=True, **kwargs)
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def consultation_at(doctor) -> Callable[..., Any]:
    """A consultation starting at `hour`:`minute` clinic time, `days` after today."""

    def make(days: int, hour: int, minute: int = 0, **kwargs: Any) -> Any:
        start = clinic_midnight(clinic_today() + dt.timedelta(days=days)) + dt.timedelta(
            hours=hour, minutes=minute
        )
        slot_doctor = kwargs.pop("doctor", doctor)
        slot = SlotFactory(
            doctor=slot_doctor,
            start_time=start,
            end_time=start + dt.timedelta(minutes=30),
            status=SlotStatus.BOOKED,
        )
        return ConsultationFactory(slot=slot, **kwargs)

    return make
