"""Recurring jobs of this app, run by the beat scheduler (the commands stay for operators)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="consultations.tasks.mark_no_shows")
def mark_no_shows() -> None:
    """Mark pending consultations whose grace period after the start has passed."""
    call_command("mark_no_shows")


@shared_task(name="consultations.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> None:
    """Delete idempotency records past their window."""
    call_command("purge_idempotency_keys")
