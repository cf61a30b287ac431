"""The back office shows the trail read-only, and its PHI pages write access entries."""

import pytest
from django.contrib.contenttypes.models import ContentType

from audit.models import AuditEntry, EntryKind
from audit.services import audit_event
from tests.backoffice import staff_login

pytestmark = [pytest.mark.urls("audit.tests.urls"), pytest.mark.django_db]

ENTRIES = "/admin/audit/auditentry/"


@pytest.fixture
def staff(client, admin_user):
    staff_login(client, admin_user)
    return client


def test_the_trail_is_listed_and_searchable_by_request_id(staff):
    audit_event(action="doctor.verified", object_type="doctor_profile", object_id="d-1")
    with_id = AuditEntry.objects.create(
        kind=EntryKind.EVENT, action="x.y", object_type="thing", request_id="req-find-me"
    )

    listed = staff.get(ENTRIES)
    found = staff.get(ENTRIES, {"q": "req-find-me"})
    filtered = staff.get(ENTRIES, {"action": "doctor.verified", "kind": "event"})

    assert listed.status_code == 200
    assert list(found.context["cl"].result_list) == [with_id]
    assert [e.action for e in filtered.context["cl"].result_list] == ["doctor.verified"]


def test_audit_entries_cannot_be_added_changed_or_deleted(staff):
    entry = audit_event(action="doctor.verified", object_type="doctor_profile", object_id="d-1")

    detail = staff.get(f"{ENTRIES}{entry.pk}/change/")
    posted = staff.post(f"{ENTRIES}{entry.pk}/change/", {"action": "doctor.unverified"})
    add = staff.get(f"{ENTRIES}add/")
    delete = staff.post(f"{ENTRIES}{entry.pk}/delete/", {"post": "yes"})

    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert (posted.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    entry.refresh_from_db()
    assert entry.action == "doctor.verified"


def test_field_changes_are_listed_with_the_trail_and_filtered_by_changed_model(staff, patient):
    # django-auditlog's entry for the user's creation is a row of the trail itself.
    change = AuditEntry.objects.get_for_object(patient).get()
    event = audit_event(action="doctor.verified", object_type="doctor_profile", object_id="d-1")
    user_type = ContentType.objects.get_for_model(patient)

    found = staff.get(ENTRIES, {"q": str(patient.pk)})
    by_model = staff.get(ENTRIES, {"content_type": str(user_type.pk)})
    delete = staff.post(f"{ENTRIES}{change.pk}/delete/", {"post": "yes"})

    assert (change.kind, change.action) == (EntryKind.CHANGE, "user.created")
    assert list(found.context["cl"].result_list) == [change]
    by_model_entries = list(by_model.context["cl"].result_list)
    assert change in by_model_entries and event not in by_model_entries
    assert {e.content_type_id for e in by_model_entries} == {user_type.pk}
    assert delete.status_code == 403
    # django-auditlog's own list is gone: its entries are the trail's.
    assert staff.get("/admin/auditlog/logentry/").status_code == 404
    assert AuditEntry.objects.filter(pk=change.pk).count() == 1


def test_viewing_a_phi_page_in_the_back_office_writes_an_access_entry(staff, admin_user, patient):
    from django.apps import apps

    profile = apps.get_model("accounts", "PatientProfile").objects.create(user=patient)

    response = staff.get(
        f"/test-admin/accounts/patientprofile/{profile.pk}/change/", HTTP_X_REQUEST_ID="req-bo"
    )
    listing = staff.get("/test-admin/accounts/patientprofile/")

    assert (response.status_code, listing.status_code) == (200, 200)
    entry = AuditEntry.objects.get(kind=EntryKind.ACCESS)
    assert (entry.action, entry.object_id, entry.subject_id) == (
        "patient_profile.viewed",
        str(profile.pk),
        patient.pk,
    )
    assert (entry.actor_id, entry.actor_role, entry.request_id) == (
        admin_user.pk,
        "ADMIN",
        "req-bo",
    )
