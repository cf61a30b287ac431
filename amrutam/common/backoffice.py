"""Session, user and message middleware for the back office only.

The API authenticates every request by its bearer token and keeps no session, so the
session, authentication and messages middleware would only cost each API request a
session lookup set-up, a lazy user and a message store it never uses (measured in
docs/performance.md). This middleware runs them, in their usual order, for
paths under BACK_OFFICE_PREFIXES and passes every other request straight on.

Back-office pages show times in the clinic's zone (CLINIC_TIME_ZONE); the API and the
stored values stay UTC.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

from .timezones import clinic_zone

Handler = Callable[[HttpRequest], HttpResponse]

# Django's own admin requirements, outermost first (the user comes from the session,
# messages are stored in it).
BACK_OFFICE_MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)


class BackOfficeMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.BACK_OFFICE_PREFIXES)
        chain = get_response
        # Apps add their own back-office middleware (e.g. the staff MFA step) by
        # setting, innermost last; they run after the session user is known.
        extra = tuple(getattr(settings, "BACK_OFFICE_EXTRA_MIDDLEWARE", ()))
        for dotted in reversed((*BACK_OFFICE_MIDDLEWARE, *extra)):
            chain = import_string(dotted)(chain)
        self.back_office = chain

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefixes):
            with timezone.override(clinic_zone()):
                return self.back_office(request)
        return self.get_response(request)
