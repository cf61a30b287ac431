"""Bounded lists (BoundedPagination): a capped `total` flagged `totalIsEstimate`, and
keyset pages through `nextCursor` / `?cursor=`. Exercised on GET /api/v1/audit/logs."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from types import SimpleNamespace

import pytest

from amrutam.common.contract.pagination import COUNT_AHEAD_PAGES, BoundedPagination
from audit.services import audit_event
from payments.models import Payment

pytestmark = pytest.mark.django_db

LOGS = "/api/v1/audit/logs"


def _events(count: int) -> list[int]:
    """`count` entries, oldest first; returns their ids."""
    return [
        audit_event(action="probe.listed", object_type="probe", object_id=str(n), actor="test").pk
        for n in range(count)
    ]


def _cursor(values: object) -> str:
    import json

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_total_past_the_counted_pages_is_a_lower_bound_flagged_as_an_estimate(
    admin_user, client_for
):
    _events(COUNT_AHEAD_PAGES + 4)

    response = client_for(admin_user).get(LOGS, {"action": "probe.listed", "pageSize": 1})

    pagination = response.json()["data"]["pagination"]
    # Page 1 and the COUNT_AHEAD_PAGES after it are counted; the rest is not read.
    bound = COUNT_AHEAD_PAGES + 1
    assert (pagination["total"], pagination["totalPages"]) == (bound, bound)
    assert pagination["totalIsEstimate"] is True


def test_total_is_exact_when_the_list_ends_within_the_counted_pages(admin_user, client_for):
    _events(5)

    response = client_for(admin_user).get(LOGS, {"action": "probe.listed", "pageSize": 2})

    pagination = response.json()["data"]["pagination"]
    assert (pagination["total"], pagination["totalPages"]) == (5, 3)
    assert pagination["totalIsEstimate"] is False


def test_next_cursor_walks_every_entry_once_newest_first(admin_user, client_for):
    ids = _events(5)
    client = client_for(admin_user)
    seen: list[int] = []
    params = {"action": "probe.listed", "pageSize": 2}

    cursor = None
    for _ in range(5):
        page = client.get(LOGS, {**params, **({"cursor": cursor} if cursor else {})})
        data = page.json()["data"]
        seen += [int(entry["id"]) for entry in data["logs"]]
        cursor = data["pagination"]["nextCursor"]
        if cursor is None:
            break

    assert seen == sorted(ids, reverse=True)


def test_a_cursor_and_a_page_number_give_the_same_rows(admin_user, client_for):
    _events(6)
    client = client_for(admin_user)
    first = client.get(LOGS, {"action": "probe.listed", "pageSize": 2}).json()["data"]

    by_cursor = client.get(
        LOGS,
        {"action": "probe.listed", "pageSize": 2, "cursor": first["pagination"]["nextCursor"]},
    ).json()["data"]
    by_page = client.get(LOGS, {"action": "probe.listed", "pageSize": 2, "page": 2}).json()["data"]

    assert by_cursor["logs"] == by_page["logs"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64-json",
        _cursor([1, 2]),  # two values for a one-column ordering
        _cursor(["twelve"]),  # not an id
        _cursor([float("inf")]),  # a number no id can be
        _cursor([10**30]),  # past the id column's range
        _cursor({"id": 1}),
        "A" * 501,
    ],
)
def test_a_cursor_the_list_did_not_give_out_is_a_400(cursor, admin_user, client_for):
    response = client_for(admin_user).get(LOGS, {"cursor": cursor})

    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["code"]) == ("fail", "validation_error")
    assert list(body["errors"]) == ["cursor"]


def test_a_cursor_keeps_the_microseconds_of_a_time():
    # Rows created within one millisecond would be skipped by a cursor rounded to it.
    pagination = BoundedPagination()
    pagination.fields = ("-created_at", "-id")
    row = SimpleNamespace(
        created_at=dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC), id=uuid.uuid4()
    )

    assert pagination._decode(Payment, pagination._encode(row)) == [row.created_at, row.id]
