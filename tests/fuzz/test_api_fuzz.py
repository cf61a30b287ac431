"""Property-based fuzzing of the whole API against its own OpenAPI schema (schemathesis).

Every operation of /api/schema, /health, /ready and /metrics included, is called
in-process (WSGI) as a patient, a doctor and an admin: the coverage phase's boundary
values and undeclared methods, then generated valid and invalid input, with ids, slot
pairs and times aimed at the world of `conftest.py`. Each answer must be no 5xx, a
documented status with the documented content type, body and headers (X-Request-ID on
every answer, Retry-After on 429), 405 with `Allow` for an undeclared method, and a
request valid by the schema must not be refused but for state or permission (or a
relation between fields, which JSON Schema cannot state): see `positive_data.py`.

The run is deterministic (fixed seed, derandomized) and bounded by FUZZ_MAX_EXAMPLES
(default 10 per operation and role, for `make test`); `make fuzz` raises it, FUZZ_SEED
changes the inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from . import positive_data  # noqa: F401  (registers the check)
from .conftest import STATS, TARGETS

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
SEED = int(os.environ.get("FUZZ_SEED", "20240601"))
ROLES = ("patient", "doctor", "admin")
KEY_HEADER = "Idempotency-Key"
FOUR_HOURS = dt.timedelta(hours=4)

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "allow_header_conformance",
    # positive_data_acceptance with the refusals no schema can rule out (positive_data.py).
    "positive_data_accepted_but_for_state_or_permission",
)

app = get_wsgi_application()
config = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        # The schema declares no links between operations, so there are no sequences to
        # follow; the world's fixture provides the state instead.
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", app, config=config)


def _with_known(generated: Any, name: str) -> st.SearchStrategy[Any]:
    known = TARGETS.ids.get(name)
    if not known or not isinstance(generated, str):
        return st.just(generated)
    # The generated value stays a candidate, so invalid and unknown ids are still sent.
    return st.sampled_from([generated, *known])


def _aim_known(values: Any) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict):
        return st.just(values)
    names = sorted(n for n in values if n in TARGETS.ids)
    if not names:
        return st.just(values)
    return st.tuples(*(_with_known(values[n], n) for n in names)).map(
        lambda chosen: {**values, **dict(zip(names, chosen, strict=True))}
    )


def _timestamp(minutes_from_now: int) -> st.SearchStrategy[str]:
    """An ISO 8601 timestamp relative to the world's clock, in one of several offsets."""
    assert TARGETS.now is not None
    instant = TARGETS.now + dt.timedelta(minutes=minutes_from_now)
    offsets = [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-FOUR_HOURS)]
    return st.sampled_from(offsets).map(
        lambda tz: instant.astimezone(tz).isoformat().replace("+00:00", "Z")
    )


def _time_range(first: int, last: int) -> st.SearchStrategy[tuple[str, str]]:
    """A future [start, end) of 5 minutes to 4 hours starting `first`..`last` minutes ahead."""
    return st.tuples(
        st.integers(first // 5, last // 5).map(lambda n: n * 5), st.integers(1, 48)
    ).flatmap(lambda pair: st.tuples(_timestamp(pair[0]), _timestamp(pair[0] + pair[1] * 5)))


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Aim path ids at real objects of the world (or keep the generated id)."""
    return _aim_known(path_parameters)


@schema.hook
def flatmap_query(context: Any, query: Any) -> Any:
    """Aim the audit log's `actor` / `objectId` filters at real users and objects."""
    return _aim_known(query)


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """Bodies that can succeed, next to the generated one: real doctor and slot pairs,
    slots and time off in the future of the world's clock."""
    if not isinstance(body, dict) or TARGETS.now is None:
        return st.just(body)
    if "doctorId" in body and "slotId" in body:
        return st.sampled_from([None, *TARGETS.bookings]).map(
            lambda pair: body if pair is None else {**body, "doctorId": pair[0], "slotId": pair[1]}
        )
    if isinstance(body.get("slots"), list):
        # The world's free slots start 26 h ahead or later; these start 2-24 h ahead.
        realistic = st.lists(_time_range(2 * 60, 24 * 60), min_size=1, max_size=4).map(
            lambda ranges: {"slots": [{"startTime": a, "endTime": b} for a, b in ranges]}
        )
        return st.one_of(st.just(body), realistic)
    if "start" in body and "end" in body:
        # Around the world's free slots (26-50 h ahead), so time off blocks some.
        realistic = _time_range(20 * 60, 52 * 60).map(
            lambda pair: {**body, "start": pair[0], "end": pair[1]}
        )
        return st.one_of(st.just(body), realistic)
    return _aim_known(body)


@schema.hook
def map_case(context: Any, case: Any) -> Any:
    """Give half the keyed writes a key of their own body, so they are new requests (or
    true repeats) rather than a short generated key reused with another body."""
    headers = case.headers or {}
    key = headers.get(KEY_HEADER)
    if isinstance(key, str) and key.strip() and isinstance(case.body, dict):
        digest = hashlib.sha256(repr(sorted(case.body.items())).encode()).hexdigest()
        if int(digest[:2], 16) % 2 == 0:
            headers[KEY_HEADER] = f"{key.strip()[:200]}-{digest[:16]}"
    return case


@schema.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    STATS.record(response.status_code)


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.slow
@schema.parametrize()
@settings(
    suppress_health_check=list(HealthCheck),
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
)
def test_api_conforms_to_its_schema(case: Any, role: str, world: Any, in_process_requests: Any):
    case.call_and_validate(headers={"Authorization": f"Bearer {world.tokens[role]}"})
