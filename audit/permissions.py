"""Who may read the audit trail and the clinic's analytics."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

# The role names are part of the wire contract; `audit` imports no other app.
ADMIN_ROLE = "ADMIN"


class IsClinicAdmin(BasePermission):
    """Allow active users with the ADMIN role."""

    message = "Only clinic administrators may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and getattr(user, "role", None) == ADMIN_ROLE
        )
