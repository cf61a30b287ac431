"""manage.py mark_no_shows, purge_idempotency_keys and seed."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.context import current
from consultations.models import Consultation, ConsultationStatus, IdempotencyRecord
from doctors.models import SlotStatus
from doctors.tests.factories import DoctorProfileFactory

from .factories import ConsultationFactory

pytestmark = pytest.mark.django_db


def _run(*args: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, str | None]]:
    """Business events written by the services, with the actor label bound at the time."""
    from consultations.services import lifecycle as services

    seen: list[tuple[str, str | None]] = []
    real = services.audit_event

    def spy(**kwargs: Any) -> Any:
        seen.append((kwargs["action"], current().actor_label))
        return real(**kwargs)

    monkeypatch.setattr(services, "audit_event", spy)
    return seen


@pytest.fixture
def missed_and_not(slot_at) -> dict[str, Any]:
    def at(minutes: int) -> Any:
        # A doctor each: the slots would overlap for one doctor.
        return slot_at(minutes, doctor=DoctorProfileFactory(), status=SlotStatus.BOOKED)

    return {
        "missed": ConsultationFactory(slot=at(-20)),
        "in_grace": ConsultationFactory(slot=at(-10)),
        "upcoming": ConsultationFactory(slot=at(60)),
        "started": ConsultationFactory(slot=at(-40), status="ACTIVE"),
    }


def test_mark_no_shows_marks_only_pending_consultations_past_the_grace(missed_and_not, events):
    output = _run("mark_no_shows")

    statuses = {
        name: Consultation.objects.get(pk=c.pk).status for name, c in missed_and_not.items()
    }
    assert statuses == {
        "missed": ConsultationStatus.NO_SHOW,
        "in_grace": ConsultationStatus.PENDING,
        "upcoming": ConsultationStatus.PENDING,
        "started": ConsultationStatus.ACTIVE,
    }
    assert "Marked 1 consultation(s)" in output
    assert events == [("consultation.no_show", "command:mark_no_shows")]


def test_mark_no_shows_dry_run_changes_nothing(missed_and_not):
    output = _run("mark_no_shows", "--dry-run")

    assert "Would mark 1 consultation(s)" in output
    assert Consultation.objects.filter(status=ConsultationStatus.NO_SHOW).count() == 0


def test_mark_no_shows_twice_marks_nothing_more(missed_and_not):
    _run("mark_no_shows")

    output = _run("mark_no_shows")

    assert "Marked 0 consultation(s)" in output


def _record(user: Any, key: str, age: dt.timedelta) -> IdempotencyRecord:
    record = IdempotencyRecord.objects.create(
        user=user,
        key=key,
        endpoint="POST /x",
        fingerprint="f",
        response_status=201,
        response_body="{}",
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_purge_deletes_only_records_past_the_window(patient):
    _record(patient, "old", dt.timedelta(hours=25))
    _record(patient, "older", dt.timedelta(days=30))
    fresh = _record(patient, "fresh", dt.timedelta(hours=23))

    output = _run("purge_idempotency_keys")

    assert "Deleted 2 idempotency record(s)" in output
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_purge_dry_run_deletes_nothing(patient):
    _record(patient, "old", dt.timedelta(hours=25))

    output = _run("purge_idempotency_keys", "--dry-run")

    assert "Would delete 1 idempotency record(s)" in output
    assert IdempotencyRecord.objects.count() == 1
