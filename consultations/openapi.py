"""The OpenAPI declarations of the consultation endpoints (consultations/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from amrutam.common.contract.openapi import (
    FROM_TO_PARAMETERS,
    envelope,
    error_responses,
    page_envelope,
)

from .idempotency import KEY_HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER
from .models import ConsultationStatus
from .serializers import (
    BookingCreateInputSerializer,
    CancelInputSerializer,
    ConsultationListItemSerializer,
    ConsultationOutputSerializer,
    NotesInputSerializer,
    NotesOutputSerializer,
    PrescriptionInputSerializer,
    PrescriptionOutputSerializer,
    RescheduleInputSerializer,
)

TAG = ["consultations"]

KEY_PARAMETER = OpenApiParameter(
    name=KEY_HEADER,
    type={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "1-255 characters, unique per intended write and user. A repeat with the same key "
        "and body within 24 h gets the original status and body (byte for byte) again; "
        "a different body or endpoint is 422; a repeat while the first still runs is 409."
    ),
)
REPLAYED_PARAMETER = OpenApiParameter(
    name=REPLAYED_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    response=True,
    description="`true` on a replayed answer (the body is the original's); absent otherwise.",
)

ConsultationEnvelope = envelope(
    "ConsultationEnvelope", {"consultation": ConsultationOutputSerializer()}
)
KeyedConsultationEnvelope = envelope(
    "KeyedConsultationEnvelope", {"consultation": ConsultationOutputSerializer()}, keyed=True
)
NotesEnvelope = envelope("NotesEnvelope", {"notes": NotesOutputSerializer()})
PrescriptionEnvelope = envelope(
    "PrescriptionEnvelope", {"prescription": PrescriptionOutputSerializer()}
)

NOT_FOUND = "`not_found`: no such consultation, or not one the caller may see."
INVALID_STATE = "`invalid_state`: not allowed in the consultation's state or time window."


def errors(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """The contract's error answers, worded for consultations."""
    return error_responses(*statuses, **{"s404": NOT_FOUND, "s409": INVALID_STATE, **descriptions})


booking_create = extend_schema(
    tags=TAG,
    operation_id="consultations_book",
    summary="Book a slot (idempotent)",
    description=(
        "Books the slot for the calling patient. Exactly one booking per slot whatever "
        "the concurrency: losers get 409 `slot_unavailable`. An unknown `slotId` or "
        "`doctorId` is 404; a slot of another doctor, taken, blocked, started or of an "
        "unverified doctor is 409 `slot_unavailable`. A patient who already holds "
        "`BOOKING_MAX_UPCOMING_PER_PATIENT` upcoming (pending, not yet started) "
        "consultations, or `BOOKING_MAX_UPCOMING_PER_DOCTOR` with this doctor, gets 409 "
        "`booking_limit_reached` (defaults 10 and 3). Completed outcomes (201 and 4xx "
        "other than 409 in progress) are stored under the key and replayed."
    ),
    request=BookingCreateInputSerializer,
    parameters=[KEY_PARAMETER, REPLAYED_PARAMETER],
    responses={
        201: KeyedConsultationEnvelope,
        **errors(
            400,
            401,
            403,
            404,
            409,
            422,
            s400="`validation_error` (body) or `idempotency_key_required`",
            s403="`permission_denied`: only patients book",
            s404="`not_found`: unknown slot or doctor",
            s409=("`slot_unavailable`, `booking_limit_reached` or `idempotency_key_in_progress`"),
        ),
    },
)

consultation_list = extend_schema(
    tags=TAG,
    operation_id="consultations_list",
    summary="List the caller's consultations",
    description=(
        "Patients see their own, doctors theirs, admins all; latest start first. Items "
        "leave out the health information (reason, notes, prescription): read the "
        "detail for it. `from`/`to` bound the start time."
    ),
    parameters=[
        OpenApiParameter("status", str, enum=ConsultationStatus.values),
        *FROM_TO_PARAMETERS,
    ],
    responses={
        200: page_envelope(
            "ConsultationPageEnvelope",
            "consultations",
            ConsultationListItemSerializer(many=True),
            bounded=True,
        ),
        **errors(400, 401),
    },
)

consultation_detail = extend_schema(
    tags=TAG,
    operation_id="consultations_retrieve",
    summary="A consultation, with notes and prescription",
    description=(
        "Participants and admins only; the read is written to the access log. An admin "
        "without the view-PHI permission gets `reason`, `cancellationReason`, `notes` "
        "and `prescription` as null, listed in `withheldFields`, and no access-log "
        "entry is written (no health information was shown)."
    ),
    responses={200: ConsultationEnvelope, **errors(401, 404)},
)

consultation_cancel = extend_schema(
    tags=TAG,
    operation_id="consultations_cancel",
    summary="Cancel a pending consultation",
    description=(
        "The patient until CANCELLATION_CUTOFF_MINUTES (default 60) before the start: "
        "the slot becomes AVAILABLE. The doctor or an admin until the start: the slot "
        "becomes BLOCKED."
    ),
    request=CancelInputSerializer,
    responses={200: ConsultationEnvelope, **errors(400, 401, 404, 409)},
)

consultation_reschedule = extend_schema(
    tags=TAG,
    operation_id="consultations_reschedule",
    summary="Move a pending consultation to another slot (idempotent)",
    description=(
        "Patient only, same doctor, until the cancellation cutoff. One transaction: the "
        "consultation (same id) moves to the new slot, which becomes BOOKED, and the old "
        "slot becomes AVAILABLE; or nothing changes. Idempotency as for bookings."
    ),
    request=RescheduleInputSerializer,
    parameters=[KEY_PARAMETER, REPLAYED_PARAMETER],
    responses={
        200: KeyedConsultationEnvelope,
        **errors(
            400,
            401,
            403,
            404,
            409,
            422,
            s400="`validation_error` (body) or `idempotency_key_required`",
            s404="`not_found`: no such consultation (of the caller) or slot",
            s409=(
                "`invalid_state` (not pending, past the cutoff), `slot_unavailable` "
                "or `idempotency_key_in_progress`"
            ),
        ),
    },
)

consultation_start = extend_schema(
    tags=TAG,
    operation_id="consultations_start",
    summary="Start a consultation (PENDING to ACTIVE)",
    description="The consultation's doctor, from START_EARLY_MINUTES (default 10) before.",
    request=None,
    responses={200: ConsultationEnvelope, **errors(401, 403, 404, 409)},
)

consultation_complete = extend_schema(
    tags=TAG,
    operation_id="consultations_complete",
    summary="Complete a consultation (ACTIVE to COMPLETED)",
    description="The consultation's doctor.",
    request=None,
    responses={200: ConsultationEnvelope, **errors(401, 403, 404, 409)},
)

consultation_no_show = extend_schema(
    tags=TAG,
    operation_id="consultations_no_show",
    summary="Record a no-show (PENDING to NO_SHOW)",
    description=(
        "The consultation's doctor or an admin, from NO_SHOW_GRACE_MINUTES (default 15) "
        "after the start."
    ),
    request=None,
    responses={200: ConsultationEnvelope, **errors(401, 403, 404, 409)},
)

consultation_notes_write = extend_schema(
    tags=TAG,
    operation_id="consultations_notes_write",
    summary="Write the clinical notes",
    description=(
        "The consultation's doctor, while it is ACTIVE or COMPLETED. 201 the first time, "
        "200 when replacing. Stored encrypted."
    ),
    request=NotesInputSerializer,
    responses={200: NotesEnvelope, 201: NotesEnvelope, **errors(400, 401, 403, 404, 409)},
)

consultation_prescription_issue = extend_schema(
    tags=TAG,
    operation_id="consultations_prescription_issue",
    summary="Issue the prescription",
    description=(
        "The consultation's doctor, while it is ACTIVE or COMPLETED; one per "
        "consultation. Carries the doctor's name and registration number. Stored "
        "encrypted."
    ),
    request=PrescriptionInputSerializer,
    responses={
        201: PrescriptionEnvelope,
        **errors(400, 401, 403, 404, 409, s409="`prescription_exists` or `invalid_state`"),
    },
)
