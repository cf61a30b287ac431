"""Bytes per row, and rows per consultation, of the tables that grow with consultations.

    createdb -h 127.0.0.1 -U postgres amrutam_sizes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/amrutam_sizes \
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/row_sizes.py [--consultations N]

Migrates the (empty) database it is pointed at, then takes each consultation through its
whole life by the services the API calls: booked, started, notes written, completed, and
read twice by its doctor (two PHI-read entries). VACUUM ANALYZE, then each table's total
size (heap, TOAST and indexes) divided by its rows. docs/capacity.md grows these figures
into a year. The clock rules (start from 10 minutes before) and the booking caps are
relaxed by environment so that one run can finish every consultation at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.local")
os.environ["START_EARLY_MINUTES"] = str(60 * 24 * 30)
os.environ["BOOKING_MAX_UPCOMING_PER_PATIENT"] = "0"
os.environ["BOOKING_MAX_UPCOMING_PER_DOCTOR"] = "0"
os.environ["AUDIT_SEAL_IN_BACKGROUND"] = "false"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.chain.sealer import seal_pending  # noqa: E402
from audit.models import AuditEntry  # noqa: E402
from audit.services import phi_access_record  # noqa: E402
from bench.population import day_slots_create, doctors_create, patients_create  # noqa: E402
from consultations.services.booking import consultation_book  # noqa: E402
from consultations.services.clinical import consultation_notes_write  # noqa: E402
from consultations.services.lifecycle import (  # noqa: E402
    consultation_complete,
    consultation_start,
)

# A reason and notes of a typical length (encrypted at rest, so their size counts).
REASON = "Recurring headaches for two weeks, worse in the evening, with mild nausea."
NOTES = {
    "symptoms": "Bilateral frontal headache, evenings; no aura; sleep 5-6 hours.",
    "diagnosis": "Tension-type headache, likely sleep related.",
    "advice": "Regular sleep, hydration, screen breaks; review if it persists.",
}
READS_PER_CONSULTATION = 2


def _life(count: int) -> None:
    doctors_per = 16  # slots per doctor per day
    doctors = doctors_create(
        prefix="sizes",
        count=max(1, count // doctors_per + 1),
        password_hash="!",
        specializations=["General Medicine"],
    )
    patients = patients_create(prefix="sizes", count=max(1, count // 4), password_hash="!")
    zone = ZoneInfo("Asia/Kolkata")
    first_day = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    slots = day_slots_create(doctors, first_day=first_day, days=1, per_day=doctors_per, zone=zone)
    users = {d.pk: d.user for d in doctors}
    for n, slot in enumerate(slots[:count]):
        patient = patients[n % len(patients)]
        doctor = users[slot.doctor_id]
        booked = consultation_book(
            patient=patient, doctor_id=slot.doctor_id, slot_id=slot.pk, reason=REASON
        )
        consultation_start(consultation_id=booked.pk, started_by=doctor)
        consultation_notes_write(consultation_id=booked.pk, written_by=doctor, **NOTES)
        consultation_complete(consultation_id=booked.pk, completed_by=doctor)
        for _ in range(READS_PER_CONSULTATION):
            phi_access_record(
                action="consultation.viewed",
                object_type="consultation",
                object_id=booked.pk,
                subject_id=patient.pk,
                actor=doctor,
            )
    seal_pending()


def _sizes(count: int) -> dict[str, dict[str, float]]:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        )
        sizes = dict(cursor.fetchall())
        report = {}
        for table, total in sorted(sizes.items()):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # nosec B608
            (rows,) = cursor.fetchone()
            if rows >= count / 2:  # the tables that grow with consultations
                report[table] = {
                    "rows_per_consultation": round(rows / count, 2),
                    "bytes_per_row": round(total / rows),
                    "bytes_per_consultation": round(total / count),
                }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consultations", type=int, default=2000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("row_sizes.py measures PostgreSQL: set DATABASE_URL to an empty database.")
    call_command("migrate", verbosity=0)
    if AuditEntry.objects.exists():
        sys.exit("row_sizes.py needs an empty database: it divides whole tables by its rows.")
    _life(args.consultations)
    report = _sizes(args.consultations)
    print(json.dumps({"consultations": args.consultations, "tables": report}, indent=2))


if __name__ == "__main__":
    main()
