"""Start-up checks of the back office's settings."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from amrutam.common.timezones import clinic_zone


@register()
def clinic_time_zone_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        clinic_zone()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="backoffice.E001")]
    return []
