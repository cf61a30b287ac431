"""Clinic admins get the permissions of the apps added after the staff groups were made.

0001 gave the group every permission that existed when it ran, and it does not depend on
the payments, privacy, consent or notifications migrations, so a database migrated in the
usual order left clinic admins without them: no payments in the back office, no revenue
on the dashboard. This runs after all of them and grants the group everything again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The group's name as 0001 made it (backoffice.roles.CLINIC_ADMIN), kept literal so this
# migration does not change with the code.
CLINIC_ADMIN = "Clinic admin"


def grant_everything(apps: Any, schema_editor: Any) -> None:
    # Permissions are created after all migrations ran (post_migrate); on a fresh
    # database those of the newer apps do not exist yet at this point.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=CLINIC_ADMIN)
    group.permissions.set(apps.get_model("auth", "Permission").objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_staff_groups"),
        ("accounts", "0003_mfa_devices"),
        ("consent", "0002_append_only"),
        ("consultations", "0003_consultation_consent"),
        ("notifications", "0002_payment_events_once_and_payment_received_email"),
        ("payments", "0001_initial"),
        ("privacy", "0001_initial"),
    ]

    # Going back keeps the wider grant: which permissions the group had before is not
    # recorded, and taking away more than 0001 gave would be worse.
    operations = [migrations.RunPython(grant_everything, migrations.RunPython.noop)]
