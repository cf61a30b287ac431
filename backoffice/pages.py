"""Rendering of the back office's own pages inside the admin's frame."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


def render(request: HttpRequest, template: str, context: dict[str, Any]) -> TemplateResponse:
    """`template` with the admin's context (sidebar, user links), as its own views have."""
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context})
