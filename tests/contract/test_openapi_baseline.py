"""The published schema still describes the same wire contract as before the API-contract
module: only prose (`description`, `summary`) may change.

`openapi_baseline.json` is the schema as last changed on purpose (`manage.py
spectacular --format openapi-json`): first the schema served before the envelopes,
errors and pagination were defined once in `amrutam/common/contract/`, then regenerated
only for deliberate contract changes, each named in its commit: the MFA endpoints and the
login's `oneOf`, the webhook admin API and the `broker` check of `/ready`, the
validation rules of every single value (patterns, formats, lengths, list sizes, unknown
fields), the `encryption` check of `/ready`, and a consultation's optional
`withheldFields` (health fields withheld from an admin without the view-PHI permission),
and the payments (API.md "Payments": the payment endpoints, a consultation's
`paymentStatus` and `payment`), and consent and data rights (the consent, export and
erasure endpoints and a consultation's `consentId`), and the bounded lists (the audit
log, the access log, consultations and payments: the optional `cursor` parameter and
the pagination's optional `totalIsEstimate` and `nextCursor`), and a new password's pattern
stating its length as well (a value drawn from the pattern alone is then valid).
Regenerate it only for such a change. Both schemas are compared with every `$ref`
resolved, so the names of components (the three former copies of the pagination object)
do not matter, only what a client receives. Two differences are normalised, both where
the old schema held several spellings of one body:

- every error answer is the one error envelope: it is compared by its keys and required
  keys. The old schema had five spellings of it (the shared `ApiError` and one copy per
  app, differing in `status` as an enum or in words, `requestId` nullable or not, with
  a pattern or not); all now reference `ApiError`, whose keys are the same.
- the consultations success envelopes described `status` in words ("`success`") where
  the others used the enum; on the baseline side it is read as the enum.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

BASELINE = Path(__file__).with_name("openapi_baseline.json")
PROSE = frozenset({"description", "summary"})
ERROR_KEYS = {"status", "code", "message", "errors", "requestId"}
SUCCESS_STATUS = {"type": "string", "enum": ["success"]}
BARE = {"type": "string"}


def _resolve(node: Any, schemas: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            assert name not in seen, f"recursive component {name}"
            return _resolve(schemas[name], schemas, (*seen, name))
        return {k: _resolve(v, schemas, seen) for k, v in node.items() if k not in PROSE}
    if isinstance(node, list):
        return [_resolve(v, schemas, seen) for v in node]
    return node


def _normalise_envelopes(node: Any, *, baseline: bool) -> Any:
    if isinstance(node, list):
        return [_normalise_envelopes(v, baseline=baseline) for v in node]
    if not isinstance(node, dict):
        return node
    props = node.get("properties")
    if isinstance(props, dict) and set(props) == ERROR_KEYS:
        return {"errorEnvelope": sorted(props), "required": sorted(node.get("required", []))}
    node = {k: _normalise_envelopes(v, baseline=baseline) for k, v in node.items()}
    props = node.get("properties")
    if baseline and isinstance(props, dict) and "data" in props and props["status"] == BARE:
        props["status"] = dict(SUCCESS_STATUS)
    return node


def _comparable(schema: dict[str, Any], *, baseline: bool) -> dict[str, Any]:
    schemas = schema.get("components", {}).get("schemas", {})
    resolved = {
        "openapi": schema["openapi"],
        "info": _resolve(schema["info"], schemas),
        "paths": _resolve(schema["paths"], schemas),
        "securitySchemes": _resolve(schema["components"].get("securitySchemes"), schemas),
    }
    return _normalise_envelopes(resolved, baseline=baseline)


def _error_bodies(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        if "errorEnvelope" in node:
            return [node]
        return [body for value in node.values() for body in _error_bodies(value)]
    if isinstance(node, list):
        return [body for value in node for body in _error_bodies(value)]
    return []


@pytest.fixture(scope="module")
def current(tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    return json.loads(out.read_text())


def test_the_schema_changes_only_in_prose(current):
    baseline = json.loads(BASELINE.read_text())
    before = _comparable(baseline, baseline=True)
    after = _comparable(current, baseline=False)

    assert sorted(after["paths"]) == sorted(before["paths"])
    for path, item in before["paths"].items():
        for method, operation in item.items():
            assert after["paths"][path][method] == operation, f"{method.upper()} {path}"
    assert after == before


def test_the_normalisation_leaves_real_differences_visible(current):
    # The comparison must not be blind: an operation whose answer changes is caught.
    baseline = json.loads(BASELINE.read_text())
    altered = json.loads(json.dumps(current))
    altered["paths"]["/api/v1/doctors"]["get"]["responses"].pop("400")

    assert _comparable(altered, baseline=False) != _comparable(baseline, baseline=True)
    # And the envelopes it normalises exist: every error answer is the error envelope.
    assert len(_error_bodies(_comparable(baseline, baseline=True)["paths"])) > 50


def test_every_api_error_answer_is_the_one_error_component(current):
    schemas = {
        json.dumps(response["content"]["application/json"]["schema"])
        for path, item in current["paths"].items()
        if path.startswith("/api/")
        for operation in item.values()
        if isinstance(operation, dict)
        for status, response in operation.get("responses", {}).items()
        if int(status) >= 400
    }
    assert schemas == {json.dumps({"$ref": "#/components/schemas/ApiError"})}
