"""Properties of the idempotency fingerprint: one logical body, one fingerprint.

The same JSON body with its keys in any order and any whitespace must fingerprint the
same (a client's retry is the same request), and any change of a value, a key, the
method or the path must not (it is another request, answered 422).
"""

from __future__ import annotations

import io
import json
import os
import uuid
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIRequestFactory

from amrutam.common.drf.parsers import JSONParser
from consultations.idempotency import keyed_request, request_fingerprint

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_MAX_EXAMPLES", "100")),
    derandomize=True,
    deadline=None,
)
BOOKINGS_URL = "/api/v1/consultations/bookings"

# JSON as clients send it: no NaN or infinities (JSON has none), any text, nesting.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    # Lone surrogates: valid in JSON as \ud800 escapes, not encodable as plain UTF-8.
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
bodies = st.dictionaries(st.text(max_size=6), json_values, max_size=5)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@st.composite
def reordered(draw: st.DrawFn, value: Any) -> Any:
    """`value` with the keys of every object, at every depth, in a drawn order."""
    if isinstance(value, dict):
        keys = draw(st.permutations(list(value)))
        return {key: draw(reordered(value[key])) for key in keys}
    if isinstance(value, list):
        return [draw(reordered(item)) for item in value]
    return value


def has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in canonical(value))


@st.composite
def raw_json(draw: st.DrawFn, value: Any) -> bytes:
    """`value` as JSON text with drawn key order, whitespace and escaping."""
    text = json.dumps(
        draw(reordered(value)),
        indent=draw(st.sampled_from([None, 0, 1, 2, 4, "\t"])),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : "), (",\n", ":\t")])),
        # A lone surrogate can only be sent escaped.
        ensure_ascii=draw(st.booleans()) or has_surrogate(value),
    )
    padding = draw(st.sampled_from(["", " ", "\n", "\r\n\t "]))
    return (padding + text + padding).encode("utf-8", "surrogatepass")


def parse(raw: bytes) -> Any:
    return JSONParser().parse(io.BytesIO(raw))


def fingerprint(body: Any, method: str = "POST", path: str = BOOKINGS_URL) -> str:
    return request_fingerprint(method=method, path=path, body=body)


@st.composite
def with_one_leaf_changed(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """A copy of `body` with one value, somewhere inside it, replaced by another."""

    def change(value: Any) -> Any:
        containers = isinstance(value, dict | list) and len(value) > 0
        if containers and draw(st.booleans()):
            if isinstance(value, dict):
                key = draw(st.sampled_from(sorted(value)))
                return {**value, key: change(value[key])}
            index = draw(st.integers(0, len(value) - 1))
            return [*value[:index], change(value[index]), *value[index + 1 :]]
        replacement = draw(json_values.filter(lambda new: canonical(new) != canonical(value)))
        return replacement

    key = draw(st.sampled_from(sorted(body)))
    return {**body, key: change(body[key])}


@PROPERTY_SETTINGS
@given(st.data(), bodies)
def test_the_same_body_in_any_key_order_has_the_same_fingerprint(data, body):
    shuffled = data.draw(reordered(body))

    assert fingerprint(shuffled) == fingerprint(body)


@PROPERTY_SETTINGS
@given(st.data(), bodies)
def test_the_fingerprint_ignores_whitespace_key_order_and_escaping_of_the_json_text(data, body):
    first = data.draw(raw_json(body))
    second = data.draw(raw_json(body))

    # As JSON means it: an escaped surrogate pair is one character.
    meant = json.loads(json.dumps(body))
    assert fingerprint(parse(first)) == fingerprint(parse(second)) == fingerprint(meant)


@PROPERTY_SETTINGS
@given(st.data(), bodies.filter(bool))
def test_changing_any_value_changes_the_fingerprint(data, body):
    changed = data.draw(with_one_leaf_changed(body))

    assert fingerprint(changed) != fingerprint(body)


@PROPERTY_SETTINGS
@given(bodies, st.text(max_size=8), json_values)
def test_adding_or_removing_a_key_changes_the_fingerprint(body, key, value):
    other = {k: v for k, v in body.items() if k != key} if key in body else {**body, key: value}

    assert fingerprint(other) != fingerprint(body)


@PROPERTY_SETTINGS
@given(
    bodies,
    st.sampled_from(["POST", "PUT", "PATCH"]),
    st.sampled_from([BOOKINGS_URL, "/api/v1/consultations/x/reschedule"]),
)
def test_the_same_body_for_another_method_or_path_has_another_fingerprint(body, method, path):
    assume((method, path) != ("POST", BOOKINGS_URL))

    assert fingerprint(body, method, path) != fingerprint(body)


@PROPERTY_SETTINGS
@given(st.data(), bodies)
def test_a_keyed_request_fingerprints_its_parsed_body_however_it_was_written(data, body):
    factory = APIRequestFactory()

    def keyed(raw: bytes) -> str:
        from rest_framework.request import Request

        request = Request(
            factory.post(BOOKINGS_URL, raw, content_type="application/json"),
            parsers=[JSONParser()],
        )
        request.user = None
        return keyed_request(request, key="k").fingerprint

    assert keyed(data.draw(raw_json(body))) == keyed(data.draw(raw_json(body)))


@pytest.mark.django_db
@settings(
    max_examples=int(os.environ.get("PROPERTY_API_EXAMPLES", "15")),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_booking_retried_with_keys_reordered_and_other_whitespace_is_a_replay(
    data, client_for, patient, slot
):
    body = {"doctorId": str(slot.doctor_id), "slotId": str(slot.pk), "reason": "Back pain"}
    key = f"retry-{uuid.uuid4().hex}"
    client = client_for(patient)

    # Each example starts from the same free slot.
    with transaction.atomic():
        first = client.post(
            BOOKINGS_URL,
            data.draw(raw_json(body)),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        retry = client.post(
            BOOKINGS_URL,
            data.draw(raw_json(body)),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        transaction.set_rollback(True)

    assert first.status_code == 201
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
