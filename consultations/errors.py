"""Errors of bookings, the consultation lifecycle and idempotent writes (stable codes)."""

from amrutam.common.exceptions import ApplicationError, Conflict


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    message = "This slot cannot be booked: it is taken, blocked, started or not that doctor's."


class IdempotencyKeyRequired(ApplicationError):
    status_code = 400
    code = "idempotency_key_required"
    message = "This request needs an Idempotency-Key header of 1 to 255 characters."


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    message = "A request with this Idempotency-Key is still being processed. Retry shortly."


class IdempotencyKeyReused(ApplicationError):
    status_code = 422
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class PrescriptionExists(Conflict):
    code = "prescription_exists"
    message = "This consultation already has a prescription."


class BookingLimitReached(Conflict):
    code = "booking_limit_reached"
    message = "You hold the most upcoming consultations allowed. Cancel one to book another."
