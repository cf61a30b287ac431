"""Recurring jobs of this app, run by the beat scheduler (the command stays for operators)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="audit.tasks.verify_audit_log")
def verify_audit_log() -> None:
    """Seal pending entries and check the hash chain; a broken chain fails the task."""
    call_command("verify_audit_log")


@shared_task(name="audit.tasks.audit_partitions")
def audit_partitions() -> None:
    """Create the audit table's monthly partitions ahead; a failure fails the task."""
    call_command("audit_partitions")
