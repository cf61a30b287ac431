"""The audit section: the change trail beside the PHI-read log, and a patient's access report.

Both pages read `audit.AuditEntry`, which is django-auditlog's entry model (field
changes are written there once), where business events are written and every read of
health information is logged; staff need `audit.view_auditentry`. Neither page shows
PHI: entries never hold any in clear.
"""

from __future__ import annotations

import csv
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from amrutam.common.display import local_time, local_time_stacked
from audit.models import AuditEntry, EntryKind
from consultations.models import Consultation

from .naming import EntryNames
from .pages import render

PERMISSION = "audit.view_auditentry"
PAGE = 50
REPORT_ROWS_SHOWN = 500
PATIENT_MATCHES = 20
CSV_HEADER = [
    "time_utc",
    "viewer",
    "viewer_email",
    "viewer_role",
    "action",
    "record",
    "ip",
    "request_id",
]


def _require(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _patient_choice(request: HttpRequest) -> tuple[User | None, list[User], str]:
    """The patient named by `?patient=<id>`, or found by `?q=` (email or part of a name)."""
    patients = User.objects.filter(role=Role.PATIENT)
    patient_id = request.GET.get("patient", "").strip()
    query = request.GET.get("q", "").strip()
    if patient_id:
        try:
            return patients.filter(pk=uuid.UUID(patient_id)).first(), [], query
        except ValueError:
            return None, [], query
    if not query:
        return None, [], query
    matches = list(
        patients.filter(Q(email__iexact=query) | Q(name__icontains=query)).order_by("name")[
            :PATIENT_MATCHES
        ]
    )
    if len(matches) == 1:
        return matches[0], [], query
    return None, matches, query


def _patient_records_q(patient: User) -> Q:
    """Entries about `patient`: PHI reads of their data, and changes to their account,
    profile and consultations."""
    consultation_ids = (
        Consultation.objects.filter(patient_id=patient.pk)
        .annotate(text_id=Cast("id", CharField()))
        .values("text_id")
    )
    profile_ids = (
        PatientProfile.objects.filter(user_id=patient.pk)
        .annotate(text_id=Cast("id", CharField()))
        .values("text_id")
    )
    return (
        Q(subject_id=patient.pk)
        | Q(object_type="user", object_id=str(patient.pk))
        | Q(object_type="patient_profile", object_id__in=profile_ids)
        | Q(object_type="consultation", object_id__in=consultation_ids)
    )


def _page(entries: QuerySet[AuditEntry], before: str) -> list[AuditEntry]:
    if before.isdigit():
        entries = entries.filter(id__lt=int(before))
    return list(entries.order_by("-id")[:PAGE])


def _field_names(changes: Any, shown: int = 4) -> str:
    if not isinstance(changes, dict):
        return ""
    names = sorted(changes)
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _rows(entries: list[AuditEntry], names: EntryNames) -> list[dict[str, Any]]:
    return [
        {
            "entry": entry,
            "when": local_time_stacked(entry.timestamp),
            "actor": names.person(entry.actor_id, entry.actor_label),
            "patient": names.person(entry.subject_id) if entry.subject_id else None,
            "record": names.record(entry.object_type, entry.object_id),
            "fields": _field_names(entry.changes),
        }
        for entry in entries
    ]


def trail(request: HttpRequest) -> HttpResponse:
    _require(request)
    patient, matches, query = _patient_choice(request)
    entries = AuditEntry.objects.all()
    if patient is not None:
        entries = entries.filter(_patient_records_q(patient))
    changes = _page(entries.exclude(kind=EntryKind.ACCESS), request.GET.get("changes_before", ""))
    reads = _page(entries.filter(kind=EntryKind.ACCESS), request.GET.get("reads_before", ""))
    names = EntryNames(changes + reads)
    return render(
        request,
        "admin/backoffice/audit_trail.html",
        {
            "title": "Audit trail",
            "patient": patient,
            "matches": matches,
            "query": query,
            "changes": _rows(changes, names),
            "reads": _rows(reads, names),
            "changes_more": changes[-1].id if len(changes) == PAGE else None,
            "reads_more": reads[-1].id if len(reads) == PAGE else None,
        },
    )


def _access_entries(patient: User) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(kind=EntryKind.ACCESS, subject_id=patient.pk).order_by("-id")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(patient: User) -> StreamingHttpResponse:
    def lines() -> Any:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_HEADER)
        batch: list[AuditEntry] = []
        for entry in _access_entries(patient).iterator(chunk_size=500):
            batch.append(entry)
            if len(batch) == 500:
                yield from _csv_rows(batch, writer)
                batch = []
        yield from _csv_rows(batch, writer)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-report-{patient.pk}.csv"'
    return response


def _csv_rows(batch: list[AuditEntry], writer: Any) -> Any:
    names = EntryNames(batch)
    for entry in batch:
        actor = names.person(entry.actor_id, entry.actor_label)
        yield writer.writerow(
            [
                entry.timestamp.isoformat(),
                actor.name,
                actor.detail,
                entry.actor_role,
                entry.action,
                names.record(entry.object_type, entry.object_id).name,
                entry.ip or "",
                entry.request_id,
            ]
        )


def access_report(request: HttpRequest) -> HttpResponseBase:
    """Who saw this patient's health information, newest first; `?format=csv` to export."""
    _require(request)
    patient, matches, query = _patient_choice(request)
    if patient is not None and request.GET.get("format") == "csv":
        return _csv(patient)
    rows: list[dict[str, Any]] = []
    total = 0
    if patient is not None:
        entries = list(_access_entries(patient)[: REPORT_ROWS_SHOWN + 1])
        total = len(entries)
        rows = _rows(entries[:REPORT_ROWS_SHOWN], EntryNames(entries[:REPORT_ROWS_SHOWN]))
    response: TemplateResponse = render(
        request,
        "admin/backoffice/access_report.html",
        {
            "title": "Patient access report",
            "patient": patient,
            "matches": matches,
            "query": query,
            "rows": rows,
            "truncated": total > REPORT_ROWS_SHOWN,
            "generated": local_time(timezone.now()),
        },
    )
    return response
