"""Consultation endpoints: booking, list and detail, lifecycle actions, notes, prescription."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amrutam.common.drf import success, validated

from . import services
from .idempotency import (
    KEY_HEADER,
    MAX_KEY_LENGTH,
    REPLAYED_HEADER,
    Outcome,
    idempotency_key,
    keyed_request,
    run_idempotent,
)
from .models import Consultation, ConsultationStatus
from .permissions import CanBook, CanCancel, CanMarkNoShow, CanReschedule, CanRunConsultation
from .selectors import (
    consultation_list_visible_to,
    consultation_phi_withheld_from,
    consultation_read,
    consultation_record_read,
)
from .serializers import (
    BookingCreateInputSerializer,
    CancelInputSerializer,
    ConsultationListItemSerializer,
    ConsultationListParamsSerializer,
    ConsultationOutputSerializer,
    ConsultationPageEnvelopeSerializer,
    ErrorEnvelopeSerializer,
    NotesInputSerializer,
    NotesOutputSerializer,
    PrescriptionInputSerializer,
    PrescriptionOutputSerializer,
    RescheduleInputSerializer,
    envelope,
    prescription_items,
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

ConsultationEnvelope = envelope("ConsultationEnvelope", consultation=ConsultationOutputSerializer())
KeyedConsultationEnvelope = envelope(
    "KeyedConsultationEnvelope", keyed=True, consultation=ConsultationOutputSerializer()
)
NotesEnvelope = envelope("NotesEnvelope", notes=NotesOutputSerializer())
PrescriptionEnvelope = envelope("PrescriptionEnvelope", prescription=PrescriptionOutputSerializer())


def _errors(*statuses: int, say: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """Documented error answers (all in the error envelope) for `statuses`."""
    texts = {
        400: "`validation_error`",
        401: "`not_authenticated` / `token_invalid`",
        403: "`permission_denied`: this role may not do this",
        404: "`not_found`: no such consultation, or not one the caller may see",
        409: "`invalid_state`: not allowed in the consultation's state or time window",
        422: "`idempotency_key_reused`",
    }
    texts.update(say or {})
    return {
        status: OpenApiResponse(ErrorEnvelopeSerializer, description=texts[status])
        for status in statuses
    }


def _answer(request: Request, consultation_id: Any) -> Response:
    """The consultation after an action, read the way the detail endpoint reads it."""
    consultation = consultation_read(user=request.user, consultation_id=consultation_id)
    withhold = consultation_phi_withheld_from(request.user)
    serializer = ConsultationOutputSerializer(consultation, context={"withhold_phi": withhold})
    return success({"consultation": serializer.data})


class BookingCreateView(APIView):
    permission_classes = [CanBook]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_book",
        summary="Book a slot (idempotent)",
        description=(
            "Books the slot for the calling patient. Exactly one booking per slot whatever "
            "the concurrency: losers get 409 `slot_unavailable`. An unknown `slotId` or "
            "`doctorId` is 404; a slot of another doctor, taken, blocked, started or of an "
            "unverified doctor is 409 `slot_unavailable`. Completed outcomes (201 and 4xx "
            "other than 409 in progress) are stored under the key and replayed."
        ),
        request=BookingCreateInputSerializer,
        parameters=[KEY_PARAMETER, REPLAYED_PARAMETER],
        responses={
            201: KeyedConsultationEnvelope,
            **_errors(
                400,
                401,
                403,
                404,
                409,
                422,
                say={
                    400: "`validation_error` (body) or `idempotency_key_required`",
                    403: "`permission_denied`: only patients book",
                    404: "`not_found`: unknown slot or doctor",
                    409: "`slot_unavailable` or `idempotency_key_in_progress`",
                },
            ),
        },
    )
    def post(self, request: Request) -> HttpResponse:
        key = idempotency_key(request)
        data = validated(BookingCreateInputSerializer, request.data)

        def book() -> Outcome:
            consultation = services.consultation_book(
                patient=request.user,
                doctor_id=data["doctor_id"],
                slot_id=data["slot_id"],
                reason=data.get("reason"),
            )
            return Outcome(201, {"consultation": ConsultationOutputSerializer(consultation).data})

        return run_idempotent(call=keyed_request(request, key=key), operation=book)


class ConsultationListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConsultationListItemSerializer
    list_name = "consultations"

    def get_queryset(self) -> QuerySet[Consultation]:
        params = validated(ConsultationListParamsSerializer, self.request.query_params)
        return consultation_list_visible_to(user=self.request.user, **params)

    @extend_schema(
        tags=TAG,
        operation_id="consultations_list",
        summary="List the caller's consultations",
        description=(
            "Patients see their own, doctors theirs, admins all; latest start first. Items "
            "leave out the health information (reason, notes, prescription): read the "
            "detail for it. `from`/`to` bound the start time: a date (YYYY-MM-DD) means that "
            "whole UTC day, a timestamp (with offset) is exact; `from` inclusive, `to` "
            "exclusive."
        ),
        parameters=[
            OpenApiParameter("status", str, enum=ConsultationStatus.values),
            OpenApiParameter("from", OpenApiTypes.STR, description="YYYY-MM-DD or timestamp"),
            OpenApiParameter("to", OpenApiTypes.STR, description="YYYY-MM-DD or timestamp"),
        ],
        responses={200: ConsultationPageEnvelopeSerializer, **_errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ConsultationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_retrieve",
        summary="A consultation, with notes and prescription",
        description=(
            "Participants and admins only; the read is written to the access log. An admin "
            "without the view-PHI permission gets `reason`, `cancellationReason`, `notes` "
            "and `prescription` as null, listed in `withheldFields`, and no access-log "
            "entry is written (no health information was shown)."
        ),
        responses={200: ConsultationEnvelope, **_errors(401, 404)},
    )
    def get(self, request: Request, pk: Any) -> Response:
        return _answer(request, pk)


class ConsultationCancelView(APIView):
    permission_classes = [CanCancel]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_cancel",
        summary="Cancel a pending consultation",
        description=(
            "The patient until CANCELLATION_CUTOFF_MINUTES (default 60) before the start: "
            "the slot becomes AVAILABLE. The doctor or an admin until the start: the slot "
            "becomes BLOCKED."
        ),
        request=CancelInputSerializer,
        responses={200: ConsultationEnvelope, **_errors(400, 401, 404, 409)},
    )
    def post(self, request: Request, pk: Any) -> Response:
        data = validated(CancelInputSerializer, request.data)
        services.consultation_cancel(
            consultation_id=pk, cancelled_by=request.user, reason=data.get("reason")
        )
        return _answer(request, pk)


class ConsultationRescheduleView(APIView):
    permission_classes = [CanReschedule]

    @extend_schema(
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
            **_errors(
                400,
                401,
                403,
                404,
                409,
                422,
                say={
                    400: "`validation_error` (body) or `idempotency_key_required`",
                    404: "`not_found`: no such consultation (of the caller) or slot",
                    409: (
                        "`invalid_state` (not pending, past the cutoff), `slot_unavailable` "
                        "or `idempotency_key_in_progress`"
                    ),
                },
            ),
        },
    )
    def post(self, request: Request, pk: Any) -> HttpResponse:
        key = idempotency_key(request)
        data = validated(RescheduleInputSerializer, request.data)

        def reschedule() -> Outcome:
            consultation = services.consultation_reschedule(
                consultation_id=pk, new_slot_id=data["slot_id"], rescheduled_by=request.user
            )
            consultation_record_read(consultation=consultation, actor=request.user)
            return Outcome(200, {"consultation": ConsultationOutputSerializer(consultation).data})

        return run_idempotent(call=keyed_request(request, key=key), operation=reschedule)


class ConsultationStartView(APIView):
    permission_classes = [CanRunConsultation]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_start",
        summary="Start a consultation (PENDING to ACTIVE)",
        description="The consultation's doctor, from START_EARLY_MINUTES (default 10) before.",
        request=None,
        responses={200: ConsultationEnvelope, **_errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: Any) -> Response:
        services.consultation_start(consultation_id=pk, started_by=request.user)
        return _answer(request, pk)


class ConsultationCompleteView(APIView):
    permission_classes = [CanRunConsultation]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_complete",
        summary="Complete a consultation (ACTIVE to COMPLETED)",
        description="The consultation's doctor.",
        request=None,
        responses={200: ConsultationEnvelope, **_errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: Any) -> Response:
        services.consultation_complete(consultation_id=pk, completed_by=request.user)
        return _answer(request, pk)


class ConsultationNoShowView(APIView):
    permission_classes = [CanMarkNoShow]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_no_show",
        summary="Record a no-show (PENDING to NO_SHOW)",
        description=(
            "The consultation's doctor or an admin, from NO_SHOW_GRACE_MINUTES (default 15) "
            "after the start."
        ),
        request=None,
        responses={200: ConsultationEnvelope, **_errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: Any) -> Response:
        services.consultation_mark_no_show(consultation_id=pk, marked_by=request.user)
        return _answer(request, pk)


class ConsultationNotesView(APIView):
    permission_classes = [CanRunConsultation]

    @extend_schema(
        tags=TAG,
        operation_id="consultations_notes_write",
        summary="Write the clinical notes",
        description=(
            "The consultation's doctor, while it is ACTIVE or COMPLETED. 201 the first time, "
            "200 when replacing. Stored encrypted."
        ),
        request=NotesInputSerializer,
        responses={
            200: NotesEnvelope,
            201: NotesEnvelope,
            **_errors(400, 401, 403, 404, 409),
        },
    )
    def put(self, request: Request, pk: Any) -> Response:
        data = validated(NotesInputSerializer, request.data)
        written = services.consultation_notes_write(
            consultation_id=pk,
            written_by=request.user,
            symptoms=data["symptoms"],
            diagnosis=data["diagnosis"],
            advice=data["advice"],
            follow_up_in_days=data.get("follow_up_in_days"),
        )
        return success(
            {"notes": NotesOutputSerializer(written.notes).data},
            status=201 if written.created else 200,
        )


class ConsultationPrescriptionView(APIView):
    permission_classes = [CanRunConsultation]

    @extend_schema(
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
            **_errors(
                400,
                401,
                403,
                404,
                409,
                say={409: "`prescription_exists` or `invalid_state`"},
            ),
        },
    )
    def post(self, request: Request, pk: Any) -> Response:
        data = validated(PrescriptionInputSerializer, request.data)
        prescription = services.consultation_prescription_issue(
            consultation_id=pk,
            issued_by=request.user,
            items=prescription_items(data["items"]),
            notes=data.get("notes"),
        )
        return success(
            {"prescription": PrescriptionOutputSerializer(prescription).data}, status=201
        )
