"""The audit log and the access log stay cheap with a million entries: every page reads a
bounded number of rows, however big the trail (EXPLAIN ANALYZE of the SQL each page
sends, not a wall-clock time)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ENTRIES = 1_000_000
# Rows a page (its rows, plus its bounded count) may read, whatever the trail's size:
# far below the million, and above what ten pages ahead of a deep page need.
MAX_ROWS_READ = 20_000
LOGS = "/api/v1/audit/logs"
ACCESS_LOG = "/api/v1/auth/me/access-log"

# One statement, bypassing the ORM: a million entries, one second apart, every tenth a
# read of the patient's health data by someone else. The append-only triggers allow
# INSERT.
FILL = """
INSERT INTO audit_auditentry
    (timestamp, kind, actor_id, actor_role, actor_label, action, object_type, object_id,
     subject_id, request_id)
SELECT now() - make_interval(secs => %(n)s - g),
       CASE WHEN g %% 10 = 0 THEN 'access' ELSE 'event' END,
       NULL, '', 'bench',
       CASE WHEN g %% 10 = 0 THEN 'consultation.viewed'
            ELSE (ARRAY['consultation.booked', 'consultation.cancelled',
                        'consultation.completed'])[1 + g %% 3] END,
       'consultation', g::text,
       CASE WHEN g %% 10 = 0 THEN %(patient)s::uuid END,
       ''
FROM generate_series(1, %(n)s) AS g
"""

SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def _rows_read(plan: dict[str, Any]) -> int:
    """Table rows the scans of `plan` produced or filtered out, over all their loops."""
    read = 0
    if plan["Node Type"] in SCANS:
        loops = plan.get("Actual Loops", 1)
        read += (
            plan["Actual Rows"]
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        ) * loops
    return read + sum(_rows_read(child) for child in plan.get("Plans", []))


def _page_rows_read(client: Any, url: str, params: dict[str, Any]) -> tuple[Any, list[int]]:
    """The page's answer, and the rows each of its queries of the trail read."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    reads = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if "audit_auditentry" not in query["sql"]:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query['sql']}")
            (explained,) = cursor.fetchone()
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]
            reads.append(_rows_read(plan["Plan"]))
    return response.json()["data"], reads


def _cursor_at(entry_id: int) -> str:
    """The cursor the list gives out after the entry `entry_id` (its ordering value)."""
    return base64.urlsafe_b64encode(json.dumps([entry_id]).encode()).decode().rstrip("=")


def _fill(patient_id: Any) -> tuple[int, int]:
    with connection.cursor() as cursor:
        # Inside the test's transaction, rolled back after it; the insert and its index
        # updates take longer than the statement timeout the app runs under.
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(FILL, {"n": ENTRIES, "patient": str(patient_id)})
        cursor.execute("ANALYZE audit_auditentry")
        cursor.execute("SELECT min(id), max(id) FROM audit_auditentry")
        low, high = cursor.fetchone()
    return low, high


def test_every_page_of_the_audit_and_access_logs_reads_a_bounded_number_of_rows(
    patient, admin_user, client_for
):
    # One test, one fill: a million rows take longer to insert than all pages to check.
    low, high = _fill(patient.pk)
    middle = _cursor_at((low + high) // 2)
    admin, own = client_for(admin_user), client_for(patient)
    pages = {
        "first page": (admin, LOGS, {}),
        "deep page": (admin, LOGS, {"page": 100, "pageSize": 20}),
        "filtered page": (admin, LOGS, {"action": "consultation.cancelled", "page": 3}),
        "prefix-filtered page": (admin, LOGS, {"action": "consultation.c*"}),
        "cursor page": (admin, LOGS, {"pageSize": 50, "cursor": middle}),
        "filtered cursor page": (
            admin,
            LOGS,
            {"action": "consultation.cancelled", "pageSize": 50, "cursor": middle},
        ),
        "access log page": (own, ACCESS_LOG, {"page": 2}),
        "access log cursor page": (own, ACCESS_LOG, {"cursor": middle}),
    }

    answers = {name: _page_rows_read(*page) for name, page in pages.items()}

    reads = {name: reads for name, (_, reads) in answers.items()}
    # Each page sends two queries of the trail: its rows and its bounded count.
    assert {name: len(r) for name, r in reads.items()} == dict.fromkeys(pages, 2)
    over = {name: r for name, r in reads.items() if max(r) > MAX_ROWS_READ}
    assert over == {}
    for name, (data, _) in answers.items():
        rows = data.get("logs", data.get("entries"))
        assert len(rows) == int(pages[name][2].get("pageSize", 20)), name
        assert data["pagination"]["totalIsEstimate"] is True, name
        assert data["pagination"]["nextCursor"], name
