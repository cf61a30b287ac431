"""Release the slots of unpaid bookings whose payment hold has run out."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from payments.selectors import payment_list_expired_holds
from payments.services import payment_hold_expire


class Command(BaseCommand):
    help = (
        "Cancel unpaid consultations past their payment hold (reason payment_expired): "
        "payment EXPIRED, slot AVAILABLE. Bookings do this themselves for the slot they "
        "want; this frees the rest. Run every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = 0
        for consultation_id in payment_list_expired_holds():
            expired += payment_hold_expire(consultation_id=consultation_id)
        self.stdout.write(f"{expired} payment hold(s) expired.")
