"""Recurring jobs of this app, run by the beat scheduler (the command stays for operators)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="doctors.tasks.generate_slots")
def generate_slots() -> None:
    """Create the slots of the coming days from every doctor's weekly schedule."""
    call_command("generate_slots")
