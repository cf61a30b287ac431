"""Binds each request's id, client IP and (lazily) its user to the audit context."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context


class AuditContextMiddleware:
    """Every audit entry written while serving a request names its id, IP and user.

    The user is not resolved here: the API's JWT is authenticated later, by DRF,
    which then sets `user` on this same request object; the audit context keeps the
    request and reads `request.user` when an entry is written. Back-office requests
    already carry their session user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.bind(
            request=request,
            request_id=getattr(request, "request_id", None),
            ip=getattr(request, "client_ip", None) or None,
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
