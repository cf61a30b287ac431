"""PostgreSQL triggers that make the audit tables append-only.

UPDATE and DELETE are refused row by row on the chained trail and on django-auditlog's
LogEntry table; the one UPDATE allowed is sealing an entry into the hash chain (setting
its empty `seq`, `prev_hash` and `hash`, nothing else). TRUNCATE is refused unless the
session sets `amrutam.audit_allow_truncate = on` (the test suite empties tables between
tests that way). SQLite, the embedded trial database, gets no triggers.
"""

from django.db import migrations

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('amrutam.audit_allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'P0001';
END
$$;
"""

SEAL_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_seal_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hash IS NULL AND OLD.seq IS NULL AND OLD.prev_hash IS NULL
       AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL
       AND (to_jsonb(NEW) - ARRAY['seq', 'prev_hash', 'hash'])
           = (to_jsonb(OLD) - ARRAY['seq', 'prev_hash', 'hash']) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: UPDATE on % (entry %) is not allowed',
        TG_TABLE_NAME, OLD.id USING ERRCODE = 'P0001';
END
$$;
"""


def _tables(apps):
    entry = apps.get_model("audit", "AuditEntry")._meta.db_table
    logentry = apps.get_model("auditlog", "LogEntry")._meta.db_table
    return entry, logentry


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    entry, logentry = _tables(apps)
    statements = [
        REFUSE_FUNCTION,
        SEAL_ONLY_FUNCTION,
        f'CREATE TRIGGER audit_entry_seal_only BEFORE UPDATE ON "{entry}" '
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_seal_only()",
        f'CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON "{entry}" '
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        f'CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON "{entry}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
        f'CREATE TRIGGER auditlog_no_change BEFORE UPDATE OR DELETE ON "{logentry}" '
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        f'CREATE TRIGGER auditlog_no_truncate BEFORE TRUNCATE ON "{logentry}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    ]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    entry, logentry = _tables(apps)
    for trigger, table in (
        ("audit_entry_seal_only", entry),
        ("audit_entry_no_delete", entry),
        ("audit_entry_no_truncate", entry),
        ("auditlog_no_change", logentry),
        ("auditlog_no_truncate", logentry),
    ):
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_entry_seal_only()")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_audit_entry"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
