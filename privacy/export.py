"""The DPDP export: one JSON document of everything held about a user, written as a
stream so that memory stays flat however many records the user has."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import PatientProfile, User
from accounts.serializers import user_data
from audit.models import AuditEntry, EntryKind
from audit.services import phi_access_record
from consent.selectors import consent_list
from consent.serializers import ConsentOutputSerializer
from consultations.models import Consultation
from consultations.serializers import ConsultationOutputSerializer
from payments.selectors import payment_list_of_patient
from payments.serializers import PaymentOutputSerializer

# Rows fetched per round trip while streaming: bounds memory, not the document.
CHUNK = 200


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _array(items: Iterable[Any]) -> Iterator[str]:
    yield "["
    first = True
    for item in items:
        yield _dumps(item) if first else "," + _dumps(item)
        first = False
    yield "]"


def _consultations(user_id: Any) -> Iterator[dict[str, Any]]:
    rows: QuerySet[Consultation] = (
        Consultation.objects.filter(patient_id=user_id)
        .select_related("slot", "notes", "prescription")
        .order_by("created_at", "pk")
    )
    for consultation in rows.iterator(chunk_size=CHUNK):
        yield ConsultationOutputSerializer(consultation).data


def _consents(user_id: Any) -> Iterator[dict[str, Any]]:
    for record in consent_list(user_id=user_id).iterator(chunk_size=CHUNK):
        yield ConsentOutputSerializer(record).data


def _payments(user_id: Any) -> Iterator[dict[str, Any]]:
    for payment in payment_list_of_patient(patient_id=user_id).iterator(chunk_size=CHUNK):
        yield PaymentOutputSerializer(payment).data


def _access_log(user_id: Any) -> Iterator[dict[str, Any]]:
    # Every read of the user's health data, their own included (this export is one).
    entries = AuditEntry.objects.filter(kind=EntryKind.ACCESS, subject_id=user_id).order_by("id")
    when = serializers.DateTimeField()
    for entry in entries.iterator(chunk_size=CHUNK):
        yield {
            "timestamp": when.to_representation(entry.timestamp),
            "actorId": entry.actor_id,
            "actorRole": entry.actor_role or None,
            "action": entry.action,
            "objectType": entry.object_type,
            "objectId": entry.object_id,
        }


def export_record(*, user: User) -> None:
    """Write the export to the access log: it shows the user's health data (a PHI read)."""
    phi_access_record(
        action="account.exported",
        object_type=User,
        object_id=user.pk,
        subject_id=user.pk,
        actor=user,
    )


def export_stream(*, user_id: Any) -> Iterator[str]:
    """The success envelope around `{"export": {...}}`, piece by piece."""
    user = User.objects.select_related("patient_profile").get(pk=user_id)
    try:
        profile: PatientProfile | None = user.patient_profile
    except PatientProfile.DoesNotExist:
        profile = None
    head = user_data(user, profile)
    when = serializers.DateTimeField().to_representation(timezone.now())
    yield '{"status":"success","data":{"export":{'
    yield f'"generatedAt":{_dumps(when)},"user":{_dumps(head)},'
    yield f'"profile":{_dumps(head.get("profile"))},"consultations":'
    yield from _array(_consultations(user_id))
    yield ',"payments":'
    yield from _array(_payments(user_id))
    yield ',"consents":'
    yield from _array(_consents(user_id))
    yield ',"accessLog":'
    yield from _array(_access_log(user_id))
    yield "}}}"
