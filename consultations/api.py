"""Consultation endpoints: booking, list and detail, lifecycle actions, notes, prescription."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amrutam.common.contract.envelope import success
from amrutam.common.contract.pagination import BoundedPagination
from amrutam.common.drf.validation import validated

from . import openapi as doc
from . import services
from .idempotency import (
    Outcome,
    idempotency_key,
    keyed_request,
    run_idempotent,
)
from .models import Consultation
from .permissions import CanBook, CanCancel, CanMarkNoShow, CanReschedule, CanRunConsultation
from .selectors import (
    consultation_get_recorded,
    consultation_list_visible_to,
    consultation_phi_withheld_from,
    consultation_record_read,
)
from .serializers import (
    BookingCreateInputSerializer,
    CancelInputSerializer,
    ConsultationListItemSerializer,
    ConsultationListParamsSerializer,
    ConsultationOutputSerializer,
    NotesInputSerializer,
    NotesOutputSerializer,
    PrescriptionInputSerializer,
    PrescriptionOutputSerializer,
    RescheduleInputSerializer,
    prescription_items,
)


def _answer(request: Request, consultation_id: Any) -> Response:
    """The consultation after an action, read the way the detail endpoint reads it."""
    consultation = consultation_get_recorded(user=request.user, consultation_id=consultation_id)
    withhold = consultation_phi_withheld_from(request.user)
    serializer = ConsultationOutputSerializer(consultation, context={"withhold_phi": withhold})
    return success({"consultation": serializer.data})


# One serializer renders every booking's answer: a serializer deep-copies its declared
# fields per instance, which cost a booking more than the rest of its rendering. Its
# fields keep no per-call state, so the threads of a process can share it.
_BOOKED = ConsultationOutputSerializer()


class BookingCreateApi(APIView):
    permission_classes = [CanBook]

    @doc.booking_create
    def post(self, request: Request) -> HttpResponse:
        key = idempotency_key(request)
        data = validated(BookingCreateInputSerializer, request.data)
        call = keyed_request(request, key=key)

        def render(consultation: Consultation) -> dict[str, Any]:
            return {"consultation": _BOOKED.to_representation(consultation)}

        # The common cases, a free slot booked afresh or a taken one refused, are one
        # statement; every other case (a replay, a paid doctor, …) takes the ORM path.
        answer = services.consultation_book_statement(
            call=call,
            doctor_id=data["doctor_id"],
            slot_id=data["slot_id"],
            reason=data.get("reason"),
            render=render,
        )
        if answer is not None:
            return HttpResponse(answer.body, status=answer.status, content_type="application/json")

        def book() -> Outcome:
            consultation = services.consultation_book(
                patient=request.user,
                doctor_id=data["doctor_id"],
                slot_id=data["slot_id"],
                reason=data.get("reason"),
            )
            return Outcome(201, render(consultation))

        return run_idempotent(call=call, operation=book)


class ConsultationListApi(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ConsultationListItemSerializer
    list_name = "consultations"
    # Admins list every consultation ever booked: a bounded count and keyset pages.
    pagination_class = BoundedPagination
    cursor_fields = ("-slot__start_time", "-id")

    def get_queryset(self) -> QuerySet[Consultation]:
        params = validated(ConsultationListParamsSerializer, self.request.query_params)
        return consultation_list_visible_to(user=self.request.user, **params)

    @doc.consultation_list
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ConsultationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @doc.consultation_detail
    def get(self, request: Request, pk: Any) -> Response:
        return _answer(request, pk)


class ConsultationCancelApi(APIView):
    permission_classes = [CanCancel]

    @doc.consultation_cancel
    def post(self, request: Request, pk: Any) -> Response:
        data = validated(CancelInputSerializer, request.data)
        services.consultation_cancel(
            consultation_id=pk, cancelled_by=request.user, reason=data.get("reason")
        )
        return _answer(request, pk)


class ConsultationRescheduleApi(APIView):
    permission_classes = [CanReschedule]

    @doc.consultation_reschedule
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


class ConsultationStartApi(APIView):
    permission_classes = [CanRunConsultation]

    @doc.consultation_start
    def post(self, request: Request, pk: Any) -> Response:
        services.consultation_start(consultation_id=pk, started_by=request.user)
        return _answer(request, pk)


class ConsultationCompleteApi(APIView):
    permission_classes = [CanRunConsultation]

    @doc.consultation_complete
    def post(self, request: Request, pk: Any) -> Response:
        services.consultation_complete(consultation_id=pk, completed_by=request.user)
        return _answer(request, pk)


class ConsultationNoShowApi(APIView):
    permission_classes = [CanMarkNoShow]

    @doc.consultation_no_show
    def post(self, request: Request, pk: Any) -> Response:
        services.consultation_mark_no_show(consultation_id=pk, marked_by=request.user)
        return _answer(request, pk)


class ConsultationNotesApi(APIView):
    permission_classes = [CanRunConsultation]

    @doc.consultation_notes_write
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


class ConsultationPrescriptionApi(APIView):
    permission_classes = [CanRunConsultation]

    @doc.consultation_prescription_issue
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
