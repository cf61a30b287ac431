"""GET /api/v1/audit/logs and GET /api/v1/auth/me/access-log."""

import datetime as dt
import uuid

import pytest
from django.urls import resolve

from audit.api import MyAccessLogApi
from audit.context import audit_actor
from audit.models import AuditEntry
from audit.services import audit_event, phi_access_record

pytestmark = pytest.mark.django_db

LOGS = "/api/v1/audit/logs"
ACCESS_LOG = "/api/v1/auth/me/access-log"
ENTRY_KEYS = {
    "id",
    "timestamp",
    "actorId",
    "actorRole",
    "action",
    "objectType",
    "objectId",
    "changes",
    "ip",
    "requestId",
}


def _at(entry_id, when):
    """Give an entry a known timestamp (tests only: the trigger allows no UPDATE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE audit_auditentry SET timestamp = %s WHERE id = %s", [when, entry_id])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")


@pytest.fixture
def trail(patient, doctor, admin_user):
    """An event by the patient, a PHI read by the doctor, one by a command."""
    booked = audit_event(
        action="consultation.booked",
        object_type="consultation",
        object_id="c-1",
        changes={"status": [None, "PENDING"]},
        actor=patient,
    )
    read = phi_access_record(
        action="consultation.viewed",
        object_type="consultation",
        object_id="c-1",
        subject_id=patient.pk,
        actor=doctor.user,
    )
    with audit_actor(label="command:mark_no_shows"):
        marked = audit_event(
            action="consultation.no_show", object_type="consultation", object_id="c-2"
        )
    return booked, read, marked


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("patient", 403, "permission_denied"),
        ("doctor", 403, "permission_denied"),
        ("admin", 200, None),
    ],
)
def test_only_admins_may_read_the_audit_log(who, status, code, api_client, client_for, request):
    users = {
        "patient": lambda: request.getfixturevalue("patient"),
        "doctor": lambda: request.getfixturevalue("doctor").user,
        "admin": lambda: request.getfixturevalue("admin_user"),
    }
    client = api_client if who == "anonymous" else client_for(users[who]())
    before = AuditEntry.objects.count()

    response = client.get(LOGS)

    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
        assert "logs" not in response.json()
    assert AuditEntry.objects.count() == before


def test_logs_list_changes_events_and_reads_newest_first(trail, admin_user, client_for):
    booked, read, marked = trail

    response = client_for(admin_user).get(LOGS, {"objectType": "consultation"})

    data = response.json()["data"]
    assert [e["id"] for e in data["logs"]] == [str(marked.pk), str(read.pk), str(booked.pk)]
    assert all(set(e) == ENTRY_KEYS for e in data["logs"])
    assert data["pagination"] == {
        "page": 1,
        "pageSize": 20,
        "total": 3,
        "totalPages": 1,
        "totalIsEstimate": False,
        "nextCursor": None,
    }
    newest, middle, oldest = data["logs"]
    assert newest["actorId"] is None
    assert newest["actorRole"] == "command:mark_no_shows"
    assert (middle["action"], middle["actorRole"]) == ("consultation.viewed", "DOCTOR")
    assert oldest["changes"] == {"status": [None, "PENDING"]}
    assert oldest["timestamp"].endswith("Z")


def test_logs_include_field_changes(patient, admin_user, client_for):
    response = client_for(admin_user).get(LOGS, {"objectId": str(patient.pk)})

    [entry] = response.json()["data"]["logs"]
    assert (entry["action"], entry["objectType"]) == ("user.created", "user")
    # Identity is masked like health data: the trail keeps ids only (erasure-safe).
    assert entry["changes"]["email"] == ["[REDACTED]", "[REDACTED]"]
    assert entry["changes"]["name"] == ["[REDACTED]", "[REDACTED]"]
    assert entry["changes"]["role"] == ["None", "PATIENT"]
    assert "password" not in entry["changes"]


def test_logs_filter_by_actor_and_action(trail, patient, admin_user, client_for):
    booked, read, _ = trail
    client = client_for(admin_user)

    by_actor = client.get(LOGS, {"actor": str(patient.pk)}).json()["data"]["logs"]
    exact = client.get(LOGS, {"action": "consultation.viewed"}).json()["data"]["logs"]
    prefix = client.get(LOGS, {"action": "consultation.*"}).json()["data"]["logs"]

    assert [e["id"] for e in by_actor] == [str(booked.pk)]
    assert [e["id"] for e in exact] == [str(read.pk)]
    assert len(prefix) == 3


def test_logs_filter_by_time_window(trail, admin_user, client_for):
    booked, read, marked = trail
    _at(booked.pk, dt.datetime(2025, 1, 10, 23, 59, tzinfo=dt.UTC))
    _at(read.pk, dt.datetime(2025, 1, 11, 0, 0, tzinfo=dt.UTC))
    _at(marked.pk, dt.datetime(2025, 1, 12, 8, 0, tzinfo=dt.UTC))
    client = client_for(admin_user)

    day = client.get(LOGS, {"from": "2025-01-11", "to": "2025-01-11"}).json()["data"]["logs"]
    span = client.get(
        LOGS, {"from": "2025-01-10T23:59:00+00:00", "to": "2025-01-12T13:30:00+05:30"}
    ).json()["data"]["logs"]

    assert [e["id"] for e in day] == [str(read.pk)]
    assert [e["id"] for e in span] == [str(marked.pk), str(read.pk), str(booked.pk)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor": "not-a-uuid"}, "actor"),
        ({"from": "2025-01-01T10:00:00"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-02-30"}, "to"),
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"action": "x" * 101}, "action"),
        ({"pageSize": "101"}, "pageSize"),
    ],
)
def test_bad_filters_are_a_400(params, field, admin_user, client_for):
    response = client_for(admin_user).get(LOGS, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == [field]


def test_an_unknown_actor_lists_nothing(trail, admin_user, client_for):
    response = client_for(admin_user).get(LOGS, {"actor": str(uuid.uuid4())})

    assert response.json()["data"]["logs"] == []


def test_the_access_log_url_is_served_by_the_audit_app():
    assert resolve(ACCESS_LOG).func.view_class is MyAccessLogApi


def test_a_patient_sees_who_read_their_records(trail, patient, patient_b, client_for):
    _, read, _ = trail
    phi_access_record(  # their own read is not a disclosure
        action="consultation.viewed",
        object_type="consultation",
        object_id="c-1",
        subject_id=patient.pk,
        actor=patient,
    )
    phi_access_record(  # someone else's record
        action="consultation.viewed",
        object_type="consultation",
        object_id="c-9",
        subject_id=patient_b.pk,
        actor=patient_b,
    )

    response = client_for(patient).get(ACCESS_LOG)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["entries"] == [
        {
            "timestamp": read.timestamp.isoformat().replace("+00:00", "Z"),
            "actorId": str(read.actor_id),
            "actorRole": "DOCTOR",
            "action": "consultation.viewed",
            "objectType": "consultation",
            "objectId": "c-1",
        }
    ]
    assert data["pagination"]["total"] == 1


def test_another_patient_sees_none_of_those_reads(trail, patient_b, client_for):
    response = client_for(patient_b).get(ACCESS_LOG)

    assert response.json()["data"]["entries"] == []


def test_the_access_log_needs_a_token(api_client):
    response = api_client.get(ACCESS_LOG)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
