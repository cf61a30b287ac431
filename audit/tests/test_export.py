"""manage.py export_audit_log: the window's entries as JSON lines or CSV, streamed."""

import csv
import json
import os
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from audit.chain import seal_pending
from audit.services import audit_event, phi_access_record

ROWS = 100_000
# Peak RSS of the 100k-row export may exceed that of an empty export by at most this
# much: memory must not grow with the number of rows.
MAX_GROWTH_KB = 20 * 1024


def _export(*args):
    out, err = StringIO(), StringIO()
    call_command("export_audit_log", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def entries(patient, doctor):
    booked = audit_event(
        action="consultation.booked",
        object_type="consultation",
        object_id="c-1",
        changes={"status": [None, "PENDING"]},
        actor=patient,
    )
    read = phi_access_record(
        action="consultation.viewed",
        object_type="consultation",
        object_id="c-1",
        subject_id=patient.pk,
        actor=doctor.user,
    )
    seal_pending()
    return booked, read


@pytest.mark.django_db
def test_export_writes_json_lines_oldest_first(entries, patient):
    booked, read = entries
    today = booked.timestamp.date().isoformat()

    out, err = _export("--from", today, "--to", today, "--format", "jsonl")

    records = [json.loads(line) for line in out.splitlines()]
    ours = [r for r in records if r["id"] in (booked.pk, read.pk)]
    assert [r["action"] for r in ours] == ["consultation.booked", "consultation.viewed"]
    assert ours[0]["changes"] == {"status": [None, "PENDING"]}
    assert ours[1]["subject_id"] == str(patient.pk)
    assert all(len(r["hash"]) == 64 for r in records)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    assert err.strip() == f"Exported {len(records)} entries."


@pytest.mark.django_db
def test_export_writes_csv_to_a_file(entries, tmp_path):
    booked, _ = entries
    target = tmp_path / "audit.csv"
    today = booked.timestamp.date().isoformat()

    _export("--from", today, "--to", today, "--format", "csv", "--output", str(target))

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    row = next(r for r in rows if r["id"] == str(booked.pk))
    assert json.loads(row["changes"]) == {"status": [None, "PENDING"]}
    assert row["timestamp"].endswith("Z")
    assert row["subject_id"] == ""


@pytest.mark.django_db
def test_export_leaves_out_entries_outside_the_window(entries):
    out, err = _export("--from", "2001-01-01", "--to", "2001-12-31T23:59:59+00:00")

    assert out == ""
    assert err.strip() == "Exported 0 entries."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-01-01", "--to", "soon"], "Bad --from/--to"),
        (["--from", "2025-01-01T00:00:00", "--to", "2025-02-01"], "UTC offset"),
        (["--from", "2025-02-01", "--to", "2025-01-01"], "--from must be before --to"),
        (["--from", "2025-01-01", "--to", "2025-02-01", "--format", "xml"], "invalid choice"),
        (["--to", "2025-02-01"], "--from"),
    ],
)
def test_bad_arguments_stop_with_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        _export(*args)


def _insert_rows(count):
    # One INSERT of 100k rows can outlast the service's statement timeout on a busy
    # machine; the limit is for requests, not for loading test data.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(
            """
            INSERT INTO audit_auditentry
                (timestamp, kind, actor_id, actor_role, actor_label, action, object_type,
                 object_id, changes, ip, request_id)
            SELECT timestamp '2024-03-01' + n * interval '1 second', 'event',
                   gen_random_uuid(), 'ADMIN', '', 'consultation.booked', 'consultation',
                   gen_random_uuid()::text, jsonb_build_object('status', jsonb_build_array(
                   NULL, 'PENDING'), 'n', n), '10.1.2.3', md5(n::text)
            FROM generate_series(1, %s) AS n
            """,
            [count],
        )


# Runs manage.py in the child's own interpreter and prints that process's peak RSS
# (VmHWM, KiB) as the last line of stderr. ru_maxrss from wait4 cannot be used: Linux
# carries it across exec from the forked parent, so it would give the size of the test
# process instead of the export's.
PEAK_RSS_WRAPPER = """
import runpy, sys
sys.argv = ["manage.py", *sys.argv[1:]]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(f"peak_rss_kb={peak}", file=sys.stderr)
"""


def _run_export(window_to, output):
    """Run the command as operators do; return (its peak RSS in KiB, seconds)."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            PEAK_RSS_WRAPPER,
            "export_audit_log",
            "--from",
            "2024-03-01",
            "--to",
            window_to,
            "--format",
            "jsonl",
            "--output",
            str(output),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("peak_rss_kb="), result.stderr
    return int(last.removeprefix("peak_rss_kb=")), time.monotonic() - started


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_exporting_100k_entries_runs_in_bounded_memory(tmp_path):
    _insert_rows(ROWS)

    empty_kb, _ = _run_export("2024-03-01T00:00:00+00:00", tmp_path / "none.jsonl")
    full_kb, seconds = _run_export("2024-03-31", tmp_path / "all.jsonl")

    with (tmp_path / "all.jsonl").open() as exported:
        assert sum(1 for _ in exported) == ROWS
    print(
        f"\nexport of {ROWS} entries: peak RSS {full_kb / 1024:.1f} MiB "
        f"(empty export {empty_kb / 1024:.1f} MiB), {seconds:.1f} s"
    )
    assert full_kb - empty_kb < MAX_GROWTH_KB
