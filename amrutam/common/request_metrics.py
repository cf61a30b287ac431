"""Request metrics on /metrics: django-prometheus' names, a lean middleware.

django-prometheus' two middlewares update about a dozen series per request (AJAX,
charset, body-size histograms, ...), each a locked write to a shared memory file in
multiprocess mode (their cost: docs/performance.md). This one keeps the
series dashboards use, with django-prometheus' names and labels: requests by view,
transport and method; responses by status, view and method; latency by view and
method; exceptions by type and by view. Like django-prometheus' after-middleware it
is the innermost one, so its latency is the view's, and an exception of the view
reaches it before the error envelope turns it into a response.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_prometheus.middleware import Metrics

Handler = Callable[[HttpRequest], HttpResponse]

METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"}
)
UNNAMED = "<unnamed view>"


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name if match is not None else None) or UNNAMED


class RequestMetricsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        metrics = Metrics.get_instance()
        self.by_view = metrics.requests_by_view_transport_method
        self.by_status = metrics.responses_by_status_view_method
        self.latency = metrics.requests_latency_by_view_method
        self.exceptions_by_type = metrics.exceptions_by_type
        self.exceptions_by_view = metrics.exceptions_by_view

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        method = request.method if request.method in METHODS else "<invalid method>"
        transport = "https" if request.is_secure() else "http"
        self.by_view.labels(view=view, transport=transport, method=method).inc()
        self.by_status.labels(status=str(response.status_code), view=view, method=method).inc()
        self.latency.labels(view=view, method=method).observe(time.perf_counter() - started)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Called by the handler for an exception a view raised; the response is then
        # made (and counted above) by the error handling further in.
        self.exceptions_by_type.labels(type=type(exception).__name__).inc()
        self.exceptions_by_view.labels(view=_view_name(request)).inc()
