"""Staff roles as groups: front desk, clinician, auditor and clinic admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

from backoffice.roles import CLINIC_ADMIN, ROLE_PERMISSIONS, staff_groups_create


def _ensure_permissions(apps: Any) -> None:
    # Permissions are created after all migrations ran (post_migrate); on a fresh
    # database they do not exist yet at this point, so they are created here first.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps: Any, schema_editor: Any) -> None:
    _ensure_permissions(apps)
    staff_groups_create(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps: Any, schema_editor: Any) -> None:
    names = [*ROLE_PERMISSIONS, CLINIC_ADMIN]
    apps.get_model("auth", "Group").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_user_token_version"),
        ("doctors", "0002_schedule_rules_and_time_off"),
        ("consultations", "0002_clinical_notes_prescription_and_state_checks"),
        ("audit", "0002_append_only_triggers"),
        ("auditlog", "0017_add_actor_email"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
