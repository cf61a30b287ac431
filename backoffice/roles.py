"""Staff roles, as groups of permissions (created by migration 0001_staff_groups).

Front desk runs patients and bookings without clinical PHI; clinicians read consultations
and profiles with PHI; auditors read the audit section only; clinic admins may do all.
"""

from __future__ import annotations

from typing import Any

FRONT_DESK = "Front desk"
CLINICIAN = "Clinician"
AUDITOR = "Auditor"
CLINIC_ADMIN = "Clinic admin"

# "app_label.codename" of each role's permissions; the clinic admin gets every permission.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    FRONT_DESK: [
        "accounts.view_user",
        "accounts.view_patientprofile",
        "doctors.view_doctorprofile",
        "doctors.view_availabilityslot",
        "consultations.view_consultation",
        "consultations.change_consultation",  # cancel, mark no-show
    ],
    CLINICIAN: [
        "accounts.view_user",
        "accounts.view_patientprofile",
        "accounts.view_phi",
        "doctors.view_doctorprofile",
        "doctors.view_availabilityslot",
        "consultations.view_consultation",
        "consultations.view_phi",
    ],
    AUDITOR: [
        # The trail, django-auditlog's field changes included (they are its rows).
        "audit.view_auditentry",
    ],
}


def staff_groups_create(group_model: Any, permission_model: Any) -> None:
    """Create (or complete) the four groups; the models may be a migration's historical ones."""
    for name, dotted in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for entry in dotted:
            app_label, codename = entry.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
    clinic_admin, _ = group_model.objects.get_or_create(name=CLINIC_ADMIN)
    clinic_admin.permissions.set(permission_model.objects.all())
