"""Payment figures on /metrics (summed over worker processes like the other counters)."""

from prometheus_client import Counter

PAYMENT_TRANSITIONS = Counter(
    "amrutam_payments",
    "Payments that entered each status (PENDING when opened).",
    ["status"],
)
PAYMENT_MISMATCHES = Counter(
    "amrutam_payment_mismatches",
    "Gateway payments refused because their order, amount or currency differed from ours.",
)
