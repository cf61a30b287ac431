"""Staff roles: what each group sees in the back office, and what stays hidden."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEntry, EntryKind
from backoffice.roles import AUDITOR, CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-reason-7731"


def _browser(user: Any) -> Client:
    client = Client()
    staff_login(client, user)
    return client


def _page(user: Any, consultation: Any) -> str:
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    response = _browser(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_front_desk_sees_the_consultation_without_phi_and_is_told_why(staff, consultation_at):
    desk = staff(FRONT_DESK)
    consultation = consultation_at(1, 9, reason=SENTINEL)

    html = _page(desk, consultation)

    assert SENTINEL not in html
    assert "withheld: your account may not view health information" in html
    assert not AuditEntry.objects.filter(kind=EntryKind.ACCESS, actor_id=desk.pk).exists()


def test_a_clinician_sees_the_phi_and_the_read_is_logged(staff, consultation_at):
    clinician = staff(CLINICIAN)
    consultation = consultation_at(1, 9, reason=SENTINEL)

    html = _page(clinician, consultation)

    assert SENTINEL in html
    assert AuditEntry.objects.filter(
        kind=EntryKind.ACCESS, actor_id=clinician.pk, object_id=str(consultation.pk)
    ).exists()


def test_the_consultation_page_is_titled_by_people_in_clinic_time(staff, consultation_at):
    consultation = consultation_at(1, 9, reason=SENTINEL)

    html = _page(staff(CLINICIAN), consultation)

    patient = consultation.patient.name
    assert f"<h1>Consultation of {patient} with Dr Doctor X</h1>" in html
    assert "09:00 IST" in html
    assert 'name="_save"' not in html


def test_front_desk_may_cancel_but_a_clinician_may_not(staff, consultation_at):
    consultation_at(1, 9)
    desk_list = _browser(staff(FRONT_DESK)).get("/admin/consultations/consultation/")
    clinician_list = _browser(staff(CLINICIAN)).get("/admin/consultations/consultation/")

    assert "cancel_selected" in desk_list.content.decode()
    assert "cancel_selected" not in clinician_list.content.decode()


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (FRONT_DESK, ["Consultations", "Patient profiles"], ["Audit", "Groups", "Tokens"]),
        (CLINICIAN, ["Consultations"], ["Audit", "Groups", "Tokens"]),
        (AUDITOR, ["Audit", "Trail: changes and PHI reads"], ["Consultations", "Groups"]),
        (
            CLINIC_ADMIN,
            ["Consultations", "Audit", "Groups"],
            ["Tokens", "Audit entries", "Log entries"],
        ),
    ],
)
def test_each_role_sees_its_sections_and_no_technical_models(staff, role, visible, hidden):
    html = _browser(staff(role)).get("/admin/").content.decode()

    for name in visible:
        assert name in html, name
    for name in hidden:
        assert name not in html, name


def test_a_superuser_still_sees_the_token_tables(admin_user):
    html = _browser(admin_user).get("/admin/").content.decode()

    assert "Outstanding Tokens" in html


def test_an_auditor_cannot_open_consultations_and_front_desk_not_the_audit(staff):
    auditor, desk = _browser(staff(AUDITOR)), _browser(staff(FRONT_DESK))

    assert auditor.get("/admin/consultations/consultation/").status_code == 403
    assert auditor.get("/admin/audit/trail/").status_code == 200
    assert desk.get("/admin/audit/trail/").status_code == 403
    assert desk.get("/admin/audit/access-report/").status_code == 403


def test_the_auditor_role_is_read_only(staff_groups):
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name=AUDITOR).permissions.values_list("codename", flat=True))

    assert codenames == {"view_auditentry"}


def test_the_migration_gives_clinic_admins_the_payments_permissions_0001_missed(staff_groups):
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module(
        "backoffice.migrations.0002_clinic_admin_all_app_permissions"
    )
    # The models as the migration sees them (it marks their app configs while it runs,
    # which must not touch the live registry).
    apps = MigrationLoader(connection).project_state(("backoffice", "0001_staff_groups")).apps
    clinic_admin = Group.objects.get(name=CLINIC_ADMIN)
    # As 0001 left the group on a database migrated in the usual order.
    clinic_admin.permissions.remove(
        *clinic_admin.permissions.filter(content_type__app_label__in=["payments", "privacy"])
    )

    migration.grant_everything(apps, None)

    granted = clinic_admin.permissions.filter(content_type__app_label="payments")
    assert set(granted.values_list("codename", flat=True)) == {
        "view_payment",
        "change_payment",
        "add_payment",
        "delete_payment",
        "view_webhookevent",
        "change_webhookevent",
        "add_webhookevent",
        "delete_webhookevent",
    }
