"""Scheduled jobs: two beat schedulers on one schedule tick send each job once; every
job of JOB_SCHEDULES has a registered task and a valid cron expression."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.utils import timezone

from amrutam.celery import JOB_TASKS, app, cron
from consultations.tests.concurrency import race
from notifications.beat import LockingScheduler
from notifications.models import ScheduledRun

JOBS = {
    "generate_slots",
    "mark_no_shows",
    "purge_idempotency_keys",
    "verify_audit_log",
    "audit_partitions",
    "outbox_sweep",
    "send_due_reminders",
    "enforce_retention",
    "expire_payment_holds",
}


class RecordingScheduler(LockingScheduler):
    """The real scheduler, claim included; only the final publish is recorded."""

    sent: list[str] = []
    lock = threading.Lock()

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        with self.lock:
            RecordingScheduler.sent.append(entry.name)


def due_scheduler(tmp_path, name: str) -> RecordingScheduler:
    app.finalize()
    scheduler = RecordingScheduler(
        app=app, schedule_filename=str(tmp_path / name), lazy=False, max_interval=1
    )
    long_ago = timezone.now() - dt.timedelta(days=2)
    for entry in scheduler.schedule.values():
        entry.last_run_at = long_ago
    return scheduler


def run_due(scheduler: RecordingScheduler) -> None:
    # Each tick sends at most one due entry; a positive delay means none is due.
    for _ in range(50):
        if scheduler.tick() > 0:
            return


@pytest.mark.django_db(transaction=True)
def test_two_beats_on_one_tick_send_each_job_once(tmp_path):
    RecordingScheduler.sent = []
    beats = [due_scheduler(tmp_path, "a"), due_scheduler(tmp_path, "b")]
    assert set(beats[0].schedule) >= JOBS

    results = race([lambda: run_due(beats[0]), lambda: run_due(beats[1])])

    assert results == [None, None]

    assert sorted(RecordingScheduler.sent) == sorted(beats[0].schedule)
    assert set(ScheduledRun.objects.values_list("job", flat=True)) == set(beats[0].schedule)
    assert ScheduledRun.objects.count() == len(beats[0].schedule)


def test_every_job_has_a_task_and_a_valid_schedule():
    app.loader.import_default_modules()

    assert set(settings.JOB_SCHEDULES) == JOBS
    for job, expression in settings.JOB_SCHEDULES.items():
        assert JOB_TASKS[job] in app.tasks
        cron(expression)
    with pytest.raises(ValueError):
        cron("* * *")
