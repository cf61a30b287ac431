"""Role-based DRF permission classes that every app reuses."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .roles import Role


class HasRole(BasePermission):
    """Allow authenticated, active users whose role is in `roles`."""

    roles: tuple[str, ...] = ()
    message = "Your role may not perform this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and user.role in self.roles
        )


class IsPatient(HasRole):
    roles = (Role.PATIENT,)
    message = "Only patients may do this."


class IsDoctor(HasRole):
    roles = (Role.DOCTOR,)
    message = "Only doctors may do this."


class IsAdmin(HasRole):
    roles = (Role.ADMIN,)
    message = "Only clinic administrators may do this."


class IsDoctorOrAdmin(HasRole):
    roles = (Role.DOCTOR, Role.ADMIN)
    message = "Only doctors or clinic administrators may do this."
