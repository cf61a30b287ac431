"""The Celery application: configured from Django's settings (CELERY_* names).

Worker: `celery -A amrutam worker`; scheduler: `celery -A amrutam beat` (`make worker`,
`make beat`). The recurring jobs and their cron expressions come from JOB_SCHEDULES.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.local")

app = Celery("amrutam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Job name -> task that runs it.
JOB_TASKS = {
    "generate_slots": "doctors.tasks.generate_slots",
    "mark_no_shows": "consultations.tasks.mark_no_shows",
    "purge_idempotency_keys": "consultations.tasks.purge_idempotency_keys",
    "verify_audit_log": "audit.tasks.verify_audit_log",
    "audit_partitions": "audit.tasks.audit_partitions",
    "outbox_sweep": "notifications.tasks.outbox_sweep",
    "send_due_reminders": "notifications.tasks.send_due_reminders",
    "enforce_retention": "privacy.tasks.enforce_retention",
    "expire_payment_holds": "payments.tasks.expire_payment_holds",
}


def cron(expression: str) -> crontab:
    """A five-field cron expression (minute hour day-of-month month day-of-week)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"Not a five-field cron expression: {expression!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


@app.on_after_finalize.connect
def _schedule_jobs(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        name: {"task": JOB_TASKS[name], "schedule": cron(expression)}
        for name, expression in settings.JOB_SCHEDULES.items()
    }
