"""Who, from where, under which request id: actor resolution and the change trail."""

import uuid

import pytest
from auditlog import get_logentry_model
from django.test import override_settings

from audit.context import audit_actor, bind, reset
from audit.models import AuditEntry, EntryKind
from audit.services import audit_event, phi_access_record
from tests.backoffice import staff_login

pytestmark = [pytest.mark.urls("audit.tests.urls"), pytest.mark.django_db]


def test_a_jwt_request_names_its_user_ip_and_request_id_on_every_entry(patient, client_for):
    client = client_for(patient)

    response = client.post(
        "/api/v1/test/audit/profile",
        {"gender": "female"},
        format="json",
        HTTP_X_REQUEST_ID="req-jwt-1",
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 200
    # django-auditlog's entry is the trail's change entry: one row, read by either name.
    log_entry = get_logentry_model().objects.filter(content_type__model="patientprofile").get()
    assert str(log_entry.actor_id) == str(patient.pk)
    assert log_entry.remote_addr == "203.0.113.7"
    assert log_entry.cid == "req-jwt-1"
    entries = AuditEntry.objects.filter(request_id="req-jwt-1").order_by("id")
    assert [(e.kind, e.action) for e in entries] == [
        (EntryKind.CHANGE, "patient_profile.created"),
        (EntryKind.EVENT, "profile.edited"),
    ]
    for entry in entries:
        assert (str(entry.actor_id), entry.actor_role, entry.ip) == (
            str(patient.pk),
            "PATIENT",
            "203.0.113.7",
        )
    assert entries[0].pk == log_entry.pk
    assert entries[0].logentry_id is None


def test_x_forwarded_for_is_not_trusted_without_trusted_proxies(patient, client_for):
    client_for(patient).post(
        "/api/v1/test/audit/profile",
        {"gender": "female"},
        format="json",
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.66",
        HTTP_X_REQUEST_ID="req-xff",
    )

    ips = AuditEntry.objects.filter(request_id="req-xff").values_list("ip", flat=True)
    assert list(ips) == ["203.0.113.7", "203.0.113.7"]
    change = get_logentry_model().objects.get(content_type__model="patientprofile")
    assert change.remote_addr == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_the_client_ip_comes_from_the_trusted_proxy(patient, client_for):
    client_for(patient).post(
        "/api/v1/test/audit/profile",
        {"gender": "female"},
        format="json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.66",
        HTTP_X_REQUEST_ID="req-proxy",
    )

    ips = AuditEntry.objects.filter(request_id="req-proxy").values_list("ip", flat=True)
    assert list(ips) == ["198.51.100.66", "198.51.100.66"]


def test_a_back_office_session_user_is_the_actor(client, admin_user):
    staff_login(client, admin_user)

    client.get("/test-admin/audit/session-write", HTTP_X_REQUEST_ID="req-admin-1")

    entry = AuditEntry.objects.get(action="patient_profile.created")
    assert (str(entry.actor_id), entry.actor_role, entry.request_id) == (
        str(admin_user.pk),
        "ADMIN",
        "req-admin-1",
    )
    change = get_logentry_model().objects.get(content_type__model="patientprofile")
    assert change.pk == entry.pk


def test_a_phi_read_creates_an_access_entry(patient, doctor, client_for):
    response = client_for(doctor.user).get(
        f"/api/v1/test/audit/profile/{patient.pk}", HTTP_X_REQUEST_ID="req-read-1"
    )

    assert response.status_code == 200
    entry = AuditEntry.objects.get(kind=EntryKind.ACCESS)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "patient_profile.viewed",
        "patient_profile",
        str(patient.pk),
    )
    assert (entry.subject_id, entry.actor_id, entry.actor_role) == (
        patient.pk,
        doctor.user.pk,
        "DOCTOR",
    )
    assert (entry.request_id, entry.ip) == ("req-read-1", "127.0.0.1")


def test_an_explicit_actor_wins_over_the_context(patient, admin_user):
    token = bind(actor_id=str(patient.pk), actor_role="PATIENT")
    try:
        entry = audit_event(action="a.b", object_type="thing", object_id=1, actor=admin_user)
    finally:
        reset(token)

    assert (str(entry.actor_id), entry.actor_role, entry.actor_label) == (
        str(admin_user.pk),
        "ADMIN",
        "",
    )


def test_work_outside_a_request_is_done_by_system():
    entry = audit_event(action="a.b", object_type="thing", object_id=1)

    assert (entry.actor_id, entry.actor_role, entry.actor_label) == (None, "", "system")
    assert (entry.ip, entry.request_id) == (None, "")


def test_a_command_names_itself_as_the_actor():
    with audit_actor(label="command:mark_no_shows"):
        entry = audit_event(action="consultation.no_show", object_type="consultation", object_id=1)

    assert (entry.actor_id, entry.actor_label) == (None, "command:mark_no_shows")


def test_a_label_may_be_passed_as_the_actor():
    entry = audit_event(action="a.b", object_type="thing", object_id=1, actor="task:reminders")

    assert entry.actor_label == "task:reminders"


def test_object_type_and_ids_may_be_given_as_model_and_instances(patient):
    entry = phi_access_record(
        action="user.viewed", object_type=type(patient), object_id=patient, subject_id=patient
    )

    assert (entry.object_type, entry.object_id, entry.subject_id) == (
        "user",
        str(patient.pk),
        patient.pk,
    )


def test_event_changes_accept_ids_and_timestamps():
    from django.utils import timezone

    slot_id, when = uuid.uuid4(), timezone.now()

    entry = audit_event(
        action="consultation.rescheduled",
        object_type="consultation",
        object_id=uuid.uuid4(),
        changes={"slotId": [slot_id, slot_id], "at": when},
    )

    entry.refresh_from_db()
    assert entry.changes["slotId"] == [str(slot_id), str(slot_id)]


def test_password_and_last_login_never_reach_the_trail(patient):
    patient.set_password("A-new-Secret-99")
    patient.save()

    entries = get_logentry_model().objects.get_for_object(patient)
    changes = [e.changes or {} for e in entries]
    assert len(changes) == 1 and "email" in changes[0]  # the creation entry is there to check
    assert all("password" not in c and "last_login" not in c for c in changes)
    assert [e.action for e in entries] == ["user.created"]  # the creation only


def test_every_model_that_matters_is_tracked_but_not_idempotency_records():
    from auditlog.registry import auditlog
    from django.apps import apps

    tracked = {model._meta.label for model in auditlog.get_models()}

    assert {
        "accounts.User",
        "accounts.PatientProfile",
        "doctors.DoctorProfile",
        "doctors.AvailabilitySlot",
        "consultations.Consultation",
        "consultations.ClinicalNotes",
        "consultations.Prescription",
    } <= tracked
    assert not auditlog.contains(apps.get_model("consultations", "IdempotencyRecord"))


def test_auditlog_finds_the_entries_of_several_objects_by_their_ids():
    from accounts.models import User
    from accounts.tests.factories import UserFactory

    first, second, _other = UserFactory(), UserFactory(), UserFactory()

    entries = get_logentry_model().objects.get_for_objects(
        User.objects.filter(pk__in=[first.pk, second.pk])
    )

    assert sorted(e.object_id for e in entries) == sorted([str(first.pk), str(second.pk)])
    assert {e.action for e in entries} == {"user.created"}
