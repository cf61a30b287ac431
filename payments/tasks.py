"""Recurring jobs of this app, run by the beat scheduler (the command stays for operators)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="payments.tasks.expire_payment_holds")
def expire_payment_holds() -> None:
    """Release the slots of unpaid bookings whose payment hold has run out."""
    call_command("expire_payment_holds")
