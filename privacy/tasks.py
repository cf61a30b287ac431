"""Recurring jobs of this app, run by the beat scheduler (the command stays for operators)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="privacy.tasks.enforce_retention")
def enforce_retention() -> None:
    """Erase the clinical records of erased patients whose retention date has passed."""
    call_command("enforce_retention")
