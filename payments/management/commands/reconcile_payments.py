"""Ask the gateway for the real state of every PENDING or REFUND_PENDING payment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from amrutam.common.contract.window import BadBound, parse_bound
from payments.gateways import GatewayRefused, GatewayUnavailable
from payments.reconcile import payments_reconcile


class Command(BaseCommand):
    help = (
        "Fix payments whose webhook was lost: captures are recorded (late ones refunded), "
        "refunds sent or confirmed. Prints each change."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--since",
            help="Only payments created from this date (YYYY-MM-DD) or timestamp with offset.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options.get("since"):
            try:
                since = parse_bound(options["since"], end=False)
            except BadBound as exc:
                raise CommandError(f"--since: {exc}") from exc
        changed = 0
        try:
            for change in payments_reconcile(since=since):
                changed += 1
                self.stdout.write(f"payment {change.payment_id}: {change.before} -> {change.after}")
        except (GatewayUnavailable, GatewayRefused) as exc:
            raise CommandError(
                f"The payment gateway did not answer ({exc}); {changed} payment(s) fixed so far."
            ) from exc
        self.stdout.write(f"{changed} payment(s) changed.")
