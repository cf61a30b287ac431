"""Range-partition the audit trail by month of `timestamp` (PostgreSQL only).

The plain table is converted in one transaction: a partitioned twin is created (same
columns, defaults, identity and checks), with a DEFAULT partition for timestamps outside
the created months and one partition per month from the oldest entry to three months
ahead; the rows are copied (ids, seals and all, so the hash chain is unchanged), the old
table dropped, the twin renamed, and the indexes and append-only triggers recreated.
`manage.py audit_partitions` (daily on the beat) keeps creating the months ahead through
`audit_entry_partition_create()`, defined here so that the migration and the command
make partitions the same way.

Why the keys change. PostgreSQL requires every primary key and unique constraint of a
partitioned table to include the partition key, so:
- the primary key is (id, timestamp) in the database, while Django keeps `id` as the
  model's pk: ids come from one identity sequence, so they stay unique in practice, and
  every lookup by id still finds one row through the key's leading column;
- `seq` and `logentry_id` are unique per partition (a unique index on each partition,
  made by `audit_entry_partition_guard()`), not across the table. `seq` is handed out by
  one sealer at a time (the advisory lock of `audit.chain.sealer`), and
  `verify_audit_log` fails on a `seq` or `logentry_id` that appears twice anywhere.

TRUNCATE triggers are statement-level and are not inherited: a TRUNCATE of one partition
fires only that partition's triggers, so every partition gets its own
`audit_entry_no_truncate`. The row-level UPDATE and DELETE triggers are defined once on
the partitioned table and PostgreSQL clones them onto every partition, present and future.

The conversion holds an ACCESS EXCLUSIVE lock on the table while it copies: audited
writes wait for it. SQLite (the embedded default) keeps its one plain table.
"""

from django.db import migrations, models

TABLE = "audit_auditentry"
DEFAULT_PARTITION = "audit_auditentry_default"
MONTHS_AHEAD = 3

# Serialises partition creation (the beat's run and an operator's); any constant that
# differs from the database's other advisory locks.
PARTITION_LOCK_KEY = 0x6175_6469_7450  # "auditP"

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_partition_guard(part text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Idempotent, so that `audit_partitions` can also repair a partition that lacks a
    -- guard (one attached by hand, a trigger dropped).
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (seq)', part || '_seq_key', part);
    EXECUTE format(
        'CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (logentry_id)', part || '_logentry_key', part);
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON %I '
        || 'FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', part);
END
$$;
"""

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_entry_partition_create(month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    lower_bound timestamptz := date_trunc('month', month::timestamp) AT TIME ZONE 'UTC';
    upper_bound timestamptz :=
        (date_trunc('month', month::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
    part text := '{TABLE}_' || to_char(month, 'YYYY_MM');
    strays bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({PARTITION_LOCK_KEY});
    IF EXISTS (
        SELECT 1 FROM pg_inherits
        WHERE inhparent = '{TABLE}'::regclass AND inhrelid = to_regclass(quote_ident(part))
    ) THEN
        RETURN NULL;
    END IF;
    -- PostgreSQL would refuse the new partition anyway, with a less helpful message:
    -- rows of that month already in the default partition would fall outside it.
    SELECT count(*) INTO strays FROM {DEFAULT_PARTITION}
    WHERE "timestamp" >= lower_bound AND "timestamp" < upper_bound;
    IF strays > 0 THEN
        RAISE EXCEPTION 'cannot create partition %: % entries of that month are in {DEFAULT_PARTITION}',
            part, strays USING ERRCODE = 'P0001';
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF {TABLE} FOR VALUES FROM (%L) TO (%L)',
        part, lower_bound, upper_bound);
    PERFORM audit_entry_partition_guard(part);
    RETURN part;
END
$$;
"""

# The model's Meta.indexes, as 0001 created them; each becomes a partitioned index.
INDEXES = (
    'CREATE INDEX audit_entry_time_idx ON {t} ("timestamp")',
    "CREATE INDEX audit_entry_action_idx ON {t} (action, id DESC)",
    "CREATE INDEX audit_entry_actor_idx ON {t} (actor_id, id DESC)",
    "CREATE INDEX audit_entry_object_idx ON {t} (object_id)",
    "CREATE INDEX audit_entry_request_idx ON {t} (request_id)",
    "CREATE INDEX audit_entry_subject_idx ON {t} (subject_id, id DESC) "
    "WHERE subject_id IS NOT NULL",
    "CREATE INDEX audit_entry_unsealed ON {t} (id) WHERE hash IS NULL",
)

# As in 0002; the row triggers of a partitioned table are cloned onto its partitions.
TRIGGERS = (
    "CREATE TRIGGER audit_entry_seal_only BEFORE UPDATE ON {t} "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_seal_only()",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON {t} "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON {t} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
)

COLUMNS = (
    'id, "timestamp", kind, actor_id, actor_role, actor_label, action, object_type, '
    "object_id, subject_id, changes, ip, request_id, logentry_id, seq, prev_hash, hash"
)


def _copy_rows(schema_editor, source, target):
    schema_editor.execute(
        f"INSERT INTO {target} ({COLUMNS}) SELECT {COLUMNS} FROM {source} ORDER BY id",
        params=None,
    )
    # The identity sequence is new: it continues after the highest copied id.
    schema_editor.execute(
        f"SELECT setval(pg_get_serial_sequence('{target}', 'id'), "
        f"coalesce(max(id), 0) + 1, false) FROM {target}",
        params=None,
    )


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    old, new = f"{TABLE}_unpartitioned", f"{TABLE}_partitioned"
    def execute(sql):
        # No parameters: the functions' format() placeholders must reach PostgreSQL.
        schema_editor.execute(sql, params=None)

    # The service's statement timeout is for requests: copying and indexing a large
    # trail takes longer, and is one transaction either way.
    execute("SET LOCAL statement_timeout = 0")
    # Writers wait here rather than insert into a table about to be dropped.
    execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
    execute(
        f"CREATE TABLE {new} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        'INCLUDING IDENTITY) PARTITION BY RANGE ("timestamp")'
    )
    execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
    execute(GUARD_FUNCTION)
    execute(CREATE_FUNCTION)
    execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
    execute(f"SELECT audit_entry_partition_guard('{DEFAULT_PARTITION}')")
    # Every month from the oldest entry's to the newest's or three months ahead, whichever
    # is later: the default partition starts empty, and no month's entries wait in it
    # (which would keep that month from ever getting its partition).
    execute(
        "SELECT audit_entry_partition_create(month::date) FROM generate_series("
        f"date_trunc('month', least((SELECT min(\"timestamp\") FROM {old}), now()) "
        "AT TIME ZONE 'UTC'), "
        f"date_trunc('month', greatest((SELECT max(\"timestamp\") FROM {old}), "
        f"now() + interval '{MONTHS_AHEAD} months') AT TIME ZONE 'UTC'), "
        "interval '1 month') AS month"
    )
    _copy_rows(schema_editor, old, TABLE)
    execute(f"DROP TABLE {old}")
    execute(f"ALTER SEQUENCE {new}_id_seq RENAME TO {TABLE}_id_seq")
    execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, "timestamp")')
    for statement in (*INDEXES, *TRIGGERS):
        execute(statement.format(t=TABLE))


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    old, new = f"{TABLE}_partitioned", f"{TABLE}_plain"
    def execute(sql):
        schema_editor.execute(sql, params=None)

    execute("SET LOCAL statement_timeout = 0")
    execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
    execute(
        f"CREATE TABLE {new} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING IDENTITY)"
    )
    execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
    _copy_rows(schema_editor, old, TABLE)
    execute(f"DROP TABLE {old}")
    execute(f"ALTER SEQUENCE {new}_id_seq RENAME TO {TABLE}_id_seq")
    execute("DROP FUNCTION audit_entry_partition_create(date)")
    execute("DROP FUNCTION audit_entry_partition_guard(text)")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_seq_key UNIQUE (seq)")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_logentry_id_key UNIQUE (logentry_id)")
    for statement in (*INDEXES, *TRIGGERS):
        execute(statement.format(t=TABLE))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(partition, unpartition)],
            # Uniqueness of these two is kept per partition and checked by the verifier
            # (see above); SQLite's plain table keeps its unique constraints.
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="logentry_id",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="seq",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
            ],
        ),
    ]
