"""Index of slots by start time, for the consultation lists ordered by it.

Built with CREATE INDEX CONCURRENTLY on PostgreSQL, so bookings keep writing slots while
it builds (hence `atomic = False`); SQLite, the embedded trial database, builds it plainly.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
        return super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("doctors", "0002_schedule_rules_and_time_off"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="availabilityslot",
            index=models.Index(fields=["start_time"], name="doctors_slot_start_idx"),
        ),
    ]
