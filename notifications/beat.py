"""The beat scheduler with a claim per run: any number of beat processes may run and
each job still runs once per schedule tick.

Before sending a due job, a beat inserts (job, tick) into ScheduledRun; the unique
constraint lets exactly one beat succeed. The tick is the due minute (UTC): cron
expressions have a one-minute grain, and every beat sends a job within the minute it
falls due.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery.beat import PersistentScheduler, ScheduleEntry
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

logger = logging.getLogger("amrutam.beat")


def schedule_tick(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()).replace(second=0, microsecond=0)


def run_claim(job: str, tick: dt.datetime) -> bool:
    """Claim the run of `job` at `tick`; False if another beat already has it."""
    from .models import ScheduledRun

    close_old_connections()
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=job, tick=tick)
    except IntegrityError:
        return False
    return True


class LockingScheduler(PersistentScheduler):
    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        try:
            claimed = run_claim(entry.name, schedule_tick())
        except Exception:  # database down: better skip a tick than run a job twice
            logger.warning("beat_claim_failed", extra={"job": entry.name}, exc_info=True)
            return
        if not claimed:
            logger.info("beat_run_claimed_elsewhere", extra={"job": entry.name})
            return
        super().apply_entry(entry, producer=producer)
