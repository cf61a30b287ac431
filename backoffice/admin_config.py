"""Django's admin app, with the clinic's site as `admin.site` (see backoffice.site)."""

from __future__ import annotations

from django.contrib.admin import apps


class ClinicAdminConfig(apps.AdminConfig):
    default_site = "backoffice.site.ClinicAdminSite"
