"""The back office's second factor: staff give a TOTP code after their password.

Django's admin login checks the password; until the same session has also passed
`/admin/mfa/verify/`, StaffMFAMiddleware sends a staff member to that page (or,
without an authenticator, to `/admin/mfa/enrol/`, which shows a QR code drawn by
the app itself) whatever back-office page they ask for. The devices are the API's
(accounts.mfa). The session remembers the token version it was verified under, so
an MFA reset or removal (which bumps it) sends the staff member back to these pages
without costing other pages a query. Failed codes count against the same limits as
failed back-office passwords.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from rest_framework.exceptions import Throttled

from accounts import ratelimits
from accounts.admin_login import refused
from accounts.errors import InvalidMFACode
from accounts.mfa import (
    SecondFactor,
    mfa_check,
    mfa_enabled,
    mfa_enrolment_confirm,
    mfa_pending_enrolment,
    normalise_recovery_code,
)
from amrutam.common.exceptions import InvalidState, ServiceUnavailable
from amrutam.common.metrics import LOGIN_FAILURES

SESSION_KEY = "mfa_verified_version"
VERIFY_TEMPLATE = "admin/mfa_verify.html"
ENROL_TEMPLATE = "admin/mfa_enrol.html"
CODES_TEMPLATE = "admin/mfa_recovery_codes.html"
# Pages an unverified staff member may still reach.
OPEN_PATHS = ("/admin/mfa/", "/admin/login/", "/admin/logout/", "/admin/jsi18n/")


def mark_verified(request: HttpRequest) -> None:
    """Record that this session passed the second factor (a new session key too)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = request.user.token_version  # type: ignore[union-attr]


def is_verified(request: HttpRequest) -> bool:
    user = request.user
    return request.session.get(SESSION_KEY) == getattr(user, "token_version", None)


class StaffMFAMiddleware:
    """Sends logged-in staff who have not given their code to the MFA pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and user.is_active
            and not is_verified(request)
            and not request.path_info.startswith(OPEN_PATHS)
        ):
            target = reverse("admin-mfa-verify")
            nxt = request.get_full_path()
            if not nxt.startswith("/admin/login/"):
                target = f"{target}?next={nxt}"
            return HttpResponseRedirect(target)
        return self.get_response(request)


def _next_url(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return reverse("admin:index")


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        # Nothing of the back office (not even its list of apps) before the second factor.
        "available_apps": [],
        "is_nav_sidebar_enabled": False,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        **extra,
    }


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return HttpResponseRedirect(reverse("admin:login"))
    return None


def _limited(request: HttpRequest, check: Callable[[], Any]) -> HttpResponse | None:
    """Run a rate-limit step; a refusal becomes the back office's 429/503 page."""
    try:
        check()
    except Throttled as exc:
        return refused(request, status=429, retry_after=int(getattr(exc, "wait", None) or 60))
    except ServiceUnavailable:
        return refused(request, status=503, retry_after=None)
    return None


@never_cache
@csrf_protect
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """Ask a staff member with an authenticator for a code (or a recovery code)."""
    if (denied := _staff_only(request)) is not None:
        return denied
    if not mfa_enabled(user=request.user):
        return HttpResponseRedirect(f"{reverse('admin-mfa-enrol')}?next={_next_url(request)}")
    if request.method != "POST":
        return TemplateResponse(request, VERIFY_TEMPLATE, _context(request, title="Verify"))
    limits = ratelimits.admin_login_limits(request, request.user.email)  # type: ignore[union-attr]
    if (stop := _limited(request, lambda: ratelimits.check_failures(request, limits))) is not None:
        return stop
    code = request.POST.get("code", "").strip()
    recovery = normalise_recovery_code(request.POST.get("recovery_code", ""))
    factor = SecondFactor(
        code=code if code.isdigit() and len(code) == 6 else None,
        recovery_code=recovery if not code and len(recovery) == 10 else None,
    )
    try:
        if factor.code is None and factor.recovery_code is None:
            raise InvalidMFACode()
        mfa_check(user=request.user, factor=factor)
    except InvalidMFACode:
        LOGIN_FAILURES.inc()
        if (
            stop := _limited(request, lambda: ratelimits.count_failure(request, limits))
        ) is not None:
            return stop
        context = _context(request, title="Verify", error="That code is not valid. Try again.")
        return TemplateResponse(request, VERIFY_TEMPLATE, context, status=400)
    mark_verified(request)
    return HttpResponseRedirect(_next_url(request))


@never_cache
@csrf_protect
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """A staff member without an authenticator enrols one before anything else."""
    if (denied := _staff_only(request)) is not None:
        return denied
    try:
        enrolment = mfa_pending_enrolment(user=request.user)
    except InvalidState:
        return HttpResponseRedirect(reverse("admin-mfa-verify"))
    context = _context(
        request,
        title="Set up your authenticator",
        secret=enrolment.secret,
        qr_svg=segno.make(enrolment.otpauth_uri, error="m").svg_inline(scale=5),
    )
    if request.method != "POST":
        return TemplateResponse(request, ENROL_TEMPLATE, context)
    limits = ratelimits.admin_login_limits(request, request.user.email)  # type: ignore[union-attr]
    if (stop := _limited(request, lambda: ratelimits.check_failures(request, limits))) is not None:
        return stop
    code = request.POST.get("code", "").strip()
    try:
        if not (code.isdigit() and len(code) == 6):
            raise InvalidMFACode()
        codes = mfa_enrolment_confirm(user=request.user, code=code)
    except InvalidMFACode:
        if (
            stop := _limited(request, lambda: ratelimits.count_failure(request, limits))
        ) is not None:
            return stop
        context["error"] = "That code is not valid. Check the phone's clock and try again."
        return TemplateResponse(request, ENROL_TEMPLATE, context, status=400)
    mark_verified(request)
    return TemplateResponse(
        request,
        CODES_TEMPLATE,
        _context(request, title="Recovery codes", recovery_codes=codes, next=_next_url(request)),
    )
