"""Content negotiation with a short path for what nearly every client sends."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered at once for what nearly every client sends.

    No Accept header, `*/*`, or exactly the first renderer's media type (and no format
    override) select the first renderer, as the full negotiation would; anything else
    takes the full negotiation, 406 included. Parsing the Accept list was a measurable
    share of a cached read (docs/performance.md).
    """

    def select_renderer(
        self, request: Any, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        accept = request.META.get("HTTP_ACCEPT", "*/*").strip()
        if (
            renderers
            and not format_suffix
            and accept in ("*/*", renderers[0].media_type)
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
