"""PostgreSQL triggers that make consent records append-only.

UPDATE and DELETE are refused row by row: a withdrawal is a new record, never an edit
of the old one. TRUNCATE is refused unless the session sets
`amrutam.audit_allow_truncate = on`, as for the audit trail (the test suite empties
tables between tests that way). SQLite, the embedded trial database, gets no triggers.
"""

from django.db import migrations

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION consent_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('amrutam.audit_allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'consent records are append-only: % on % is not allowed',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'P0001';
END
$$;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("consent", "ConsentRecord")._meta.db_table
    for statement in (
        REFUSE_FUNCTION,
        f'CREATE TRIGGER consent_no_change BEFORE UPDATE OR DELETE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION consent_refuse_change()",
        f'CREATE TRIGGER consent_no_truncate BEFORE TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION consent_refuse_change()",
    ):
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("consent", "ConsentRecord")._meta.db_table
    for trigger in ("consent_no_change", "consent_no_truncate"):
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {trigger} ON "{table}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS consent_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
