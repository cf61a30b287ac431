"""The back office's login page, with the same brute-force limits as the API login.

Django's admin login has no limit of its own. Failed attempts count against the
email (shared with `POST /auth/login`, so guesses cannot be split between the two
doors) and against the client IP (`RATELIMIT_ADMIN_LOGIN_PER_IP`). Once a limit is
spent, every attempt, right or wrong, is refused with 429 and Retry-After until the
window ends; with the counter store down, logins are refused (503), never unlimited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from rest_framework.exceptions import Throttled

from accounts import ratelimits
from amrutam.common.exceptions import ServiceUnavailable
from amrutam.common.metrics import LOGIN_FAILURES

TEMPLATE = "admin/login_refused.html"


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """Django's admin login view behind the failed-login limits."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    limits = ratelimits.admin_login_limits(request, str(request.POST.get("username", "")))
    try:
        ratelimits.check_failures(request, limits)
    except Throttled as exc:
        return _refused(request, status=429, retry_after=int(getattr(exc, "wait", None) or 60))
    except ServiceUnavailable:
        return _refused(request, status=503, retry_after=None)
    response = admin.site.login(request, extra_context)
    # A successful login redirects; a refused one renders the form again.
    if response.status_code != 302:
        LOGIN_FAILURES.inc()
        try:
            ratelimits.count_failure(request, limits)
        except ServiceUnavailable:
            return _refused(request, status=503, retry_after=None)
    return response


def _refused(request: HttpRequest, *, status: int, retry_after: int | None) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "retry_after": retry_after,
    }
    response = TemplateResponse(request, TEMPLATE, context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
