"""The seal-only trigger compares rows instead of their JSON forms.

Sealing is the one UPDATE the trail allows: an entry gains its empty `seq`, `prev_hash`
and `hash`, and nothing else may change. 0002 checked the rest by turning the old and
new rows into jsonb and comparing those, which cost more than the update itself at every
seal. Here the new row with its seal taken off must equal the old row, compared as
records: column by column with each type's own equality (jsonb, inet and all), a NULL
equal only to a NULL. Like the old check it names no column, so a column added later is
covered without touching the trigger. SQLite, which has no triggers, is left alone.
"""

from django.db import migrations

SEAL_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_seal_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    unsealed RECORD;
BEGIN
    IF OLD.hash IS NULL AND OLD.seq IS NULL AND OLD.prev_hash IS NULL
       AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL THEN
        unsealed := NEW;
        unsealed.seq := NULL;
        unsealed.prev_hash := NULL;
        unsealed.hash := NULL;
        -- Composite equality, not row-constructor comparison: two NULLs are equal.
        IF unsealed = OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: UPDATE on % (entry %) is not allowed',
        TG_TABLE_NAME, OLD.id USING ERRCODE = 'P0001';
END
$$;
"""

JSON_SEAL_ONLY_FUNCTION = """
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


def _replace(function):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(function, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditentry_is_logentry"),
    ]

    operations = [
        migrations.RunPython(
            _replace(SEAL_ONLY_FUNCTION), _replace(JSON_SEAL_ONLY_FUNCTION), elidable=False
        ),
    ]
