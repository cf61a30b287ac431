"""The clinic's back office on top of Django's admin."""

from __future__ import annotations

from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
