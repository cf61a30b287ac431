"""Business counters exported on /metrics next to django-prometheus' request metrics."""

import os

from prometheus_client import Counter

# In multiprocess mode every process writes its figures under this folder; a process
# started outside gunicorn (manage.py, a script) would otherwise fail at import.
if _metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_metrics_dir, exist_ok=True)

LOGIN_FAILURES = Counter(
    "amrutam_login_failures",
    "Logins refused for a wrong email or password (rate-limited attempts excluded).",
)
RATE_LIMITED = Counter(
    "amrutam_rate_limited",
    "Requests answered 429 by a rate limit.",
    ["limit"],
)
BOOKINGS = Counter("amrutam_bookings", "Consultations booked.")
BOOKING_CONFLICTS = Counter(
    "amrutam_booking_conflicts",
    "Bookings and reschedules refused because the slot was unavailable.",
)
IDEMPOTENT_REPLAYS = Counter(
    "amrutam_idempotent_replays",
    "Requests answered with the stored response of a repeated Idempotency-Key.",
)
