"""A ModelAdmin mixin that records each back-office view of a PHI page in the access log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from .naming import type_name
from .services import phi_access_record


class PHIAccessAdminMixin:
    """Put first in the bases of an admin whose change page shows PHI.

    Every time the change page is rendered for an existing object (a GET, or a POST
    re-displayed with errors), an access entry names the staff user, the object and
    the patient whose data it is. `phi_access_action` defaults to
    "<object type>.viewed" (e.g. "patient_profile.viewed"); the patient is read from
    `phi_subject_field` (default: `patient_id`, else `user_id`), or override
    `get_phi_subject_id`.
    """

    phi_access_action: str | None = None
    phi_subject_field: str | None = None

    def get_phi_subject_id(self, obj: Any) -> Any:
        names = [self.phi_subject_field] if self.phi_subject_field else ["patient_id", "user_id"]
        for name in names:
            value = getattr(obj, name, None)
            if value is not None:
                return value
        return None

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and not add:
            object_type = type_name(obj)
            phi_access_record(
                action=self.phi_access_action or f"{object_type}.viewed",
                object_type=object_type,
                object_id=obj.pk,
                subject_id=self.get_phi_subject_id(obj),
                actor=request.user,
            )
        return super().render_change_form(  # type: ignore[misc]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )
