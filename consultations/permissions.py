"""Who may call each consultation endpoint, by role.

These gates answer 403 before anything is looked up. Which consultation a caller may
touch (their own; admins any) is decided by the selectors and services, which answer
404 for someone else's, so an id never reveals whether it exists.
"""

from __future__ import annotations

from accounts.models import Role
from accounts.permissions import HasRole, IsDoctor, IsDoctorOrAdmin, IsPatient


class CanBook(IsPatient):
    message = "Only patients can book consultations."


class CanReschedule(IsPatient):
    message = "Only the patient can reschedule a consultation."


class CanRunConsultation(IsDoctor):
    message = "Only the consultation's doctor can do this."


class CanMarkNoShow(IsDoctorOrAdmin):
    message = "Only the consultation's doctor or an admin can record a no-show."


class CanCancel(HasRole):
    roles = (Role.PATIENT, Role.DOCTOR, Role.ADMIN)
