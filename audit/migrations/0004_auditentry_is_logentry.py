"""The trail becomes django-auditlog's log-entry model (`AUDITLOG_LOGENTRY_MODEL`).

A field change was written twice: a django-auditlog LogEntry and its copy in this table.
From here on it is one row of this table. What auditlog keeps that the trail did not
gains a column (`content_type`, `serialized_data`, `additional_data`, `remote_port`);
`actor_id` becomes auditlog's `actor` reference, on the same uuid column.

Existing change entries take their LogEntry's content type, serialised data and port
(matched by `logentry_id`). None of those columns is covered by an entry's hash, so the
chain verifies as before; the append-only trigger is disabled for that one UPDATE, in
this migration's transaction. The old LogEntry table is kept as it was (still
append-only, no longer written), without its foreign keys: an archive must not stop a
user or a content type from being removed, nor the test suite from emptying tables.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE audit_auditentry e
SET content_type_id = l.content_type_id,
    serialized_data = l.serialized_data,
    remote_port = l.remote_port
FROM auditlog_logentry l
WHERE e.logentry_id = l.id AND e.kind = 'change'
"""

BACKFILL_SQLITE = """
UPDATE audit_auditentry
SET content_type_id = (SELECT l.content_type_id FROM auditlog_logentry l
                       WHERE l.id = audit_auditentry.logentry_id),
    serialized_data = (SELECT l.serialized_data FROM auditlog_logentry l
                       WHERE l.id = audit_auditentry.logentry_id),
    remote_port = (SELECT l.remote_port FROM auditlog_logentry l
                   WHERE l.id = audit_auditentry.logentry_id)
WHERE logentry_id IS NOT NULL AND kind = 'change'
"""


DROP_ARCHIVE_KEYS = """
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN SELECT conname FROM pg_constraint
              WHERE conrelid = 'auditlog_logentry'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE auditlog_logentry DROP CONSTRAINT %I', fk.conname);
    END LOOP;
END
$$;
"""


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(BACKFILL_SQLITE)
        return
    schema_editor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_seal_only")
    schema_editor.execute(BACKFILL)
    schema_editor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_seal_only")
    schema_editor.execute(DROP_ARCHIVE_KEYS, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_partition_by_month"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The column stays: only its model field becomes auditlog's `actor` reference.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="auditentry", name="actor_id"),
                migrations.AddField(
                    model_name="auditentry",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="auditentry",
            name="content_type",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="serialized_data",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="additional_data",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="remote_port",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
