"""The OpenAPI schema documents every endpoint, status and header; and the answers the
API fuzz found wrong (OPTIONS, unsafe methods on the operational endpoints)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# Every endpoint of the wire contract (API.md), as the schema names its path.
CONTRACT = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/token/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/me"),
    ("patch", "/api/v1/auth/me"),
    ("post", "/api/v1/auth/password"),
    ("get", "/api/v1/auth/me/access-log"),
    ("post", "/api/v1/auth/mfa/totp/setup"),
    ("post", "/api/v1/auth/mfa/totp/confirm"),
    ("delete", "/api/v1/auth/mfa/totp"),
    ("post", "/api/v1/auth/mfa/verify"),
    ("get", "/api/v1/auth/me/consents"),
    ("post", "/api/v1/auth/me/consents"),
    ("post", "/api/v1/auth/me/consents/{consent_id}/withdraw"),
    ("get", "/api/v1/auth/me/export"),
    ("post", "/api/v1/auth/me/erasure"),
    ("get", "/api/v1/doctors"),
    ("get", "/api/v1/doctors/{doctor_id}"),
    ("get", "/api/v1/doctors/{doctor_id}/availability"),
    ("get", "/api/v1/doctors/me"),
    ("patch", "/api/v1/doctors/me"),
    ("get", "/api/v1/doctors/me/slots"),
    ("post", "/api/v1/doctors/me/slots"),
    ("delete", "/api/v1/doctors/me/slots/{slot_id}"),
    ("get", "/api/v1/doctors/me/schedule"),
    ("put", "/api/v1/doctors/me/schedule"),
    ("post", "/api/v1/doctors/me/time-off"),
    ("post", "/api/v1/consultations/bookings"),
    ("get", "/api/v1/consultations"),
    ("get", "/api/v1/consultations/{id}"),
    ("post", "/api/v1/consultations/{id}/cancel"),
    ("post", "/api/v1/consultations/{id}/reschedule"),
    ("post", "/api/v1/consultations/{id}/start"),
    ("post", "/api/v1/consultations/{id}/complete"),
    ("post", "/api/v1/consultations/{id}/no-show"),
    ("put", "/api/v1/consultations/{id}/notes"),
    ("post", "/api/v1/consultations/{id}/prescription"),
    ("get", "/api/v1/admin/analytics"),
    ("get", "/api/v1/audit/logs"),
    ("post", "/api/v1/admin/doctors/{doctor_id}/verify"),
    ("get", "/api/v1/admin/webhooks"),
    ("post", "/api/v1/admin/webhooks"),
    ("get", "/api/v1/admin/webhooks/{webhook_id}"),
    ("patch", "/api/v1/admin/webhooks/{webhook_id}"),
    ("delete", "/api/v1/admin/webhooks/{webhook_id}"),
    ("get", "/api/v1/admin/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/v1/consultations/{id}/payment/confirm"),
    ("post", "/api/v1/payments/webhook"),
    ("get", "/api/v1/payments"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def test_the_schema_documents_every_endpoint_of_the_contract_and_no_other(schema):
    documented = {(method, path) for method, path, _ in operations(schema)}

    assert documented == CONTRACT


def test_every_operation_documents_the_x_request_id_it_reads_and_answers(schema):
    for method, path, operation in operations(schema):
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "X-Request-ID" in headers, (method, path)
        for status, response in operation["responses"].items():
            assert response["headers"]["X-Request-ID"]["required"] is True, (path, status)


def test_keyed_writes_document_the_idempotency_key_they_require(schema):
    keyed = {
        (method, path)
        for method, path, operation in operations(schema)
        if any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
    }
    booking = schema["paths"]["/api/v1/consultations/bookings"]["post"]
    (key,) = [p for p in booking["parameters"] if p["name"] == "Idempotency-Key"]

    assert keyed == {
        ("post", "/api/v1/consultations/bookings"),
        ("post", "/api/v1/consultations/{id}/reschedule"),
    }
    assert key["required"] is True
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)


def test_every_api_operation_documents_negotiation_body_limit_and_outage_answers(schema):
    for method, path, operation in operations(schema):
        if not path.startswith("/api/"):
            continue
        statuses = set(operation["responses"])
        assert {"406", "413", "503"} <= statuses, (method, path)
        assert ("415" in statuses) == ("requestBody" in operation), (method, path)


def test_rate_limited_answers_document_retry_after(schema):
    for _, path, operation in operations(schema):
        if "429" in operation["responses"]:
            assert operation["responses"]["429"]["headers"]["Retry-After"]["required"], path


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/doctors/me/slots"), ("delete", "/api/v1/doctors/me/slots/{slot_id}")],
)
def test_slot_writes_document_their_conflicts(schema, method, path):
    assert "409" in schema["paths"][path][method]["responses"]


def test_the_consultation_list_is_documented_as_its_envelope(schema):
    ref = schema["paths"]["/api/v1/consultations"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    data_ref = envelope["properties"]["data"]["$ref"]
    data = schema["components"]["schemas"][data_ref.rsplit("/", 1)[1]]

    assert set(data["properties"]) == {"consultations", "pagination"}
    assert data["properties"]["consultations"]["type"] == "array"


def test_operational_endpoints_are_documented_without_a_token(schema):
    for path in ("/health", "/ready", "/metrics"):
        assert {} in schema["paths"][path]["get"]["security"], path
    assert set(schema["paths"]["/ready"]["get"]["responses"]) == {"200", "413", "503"}
    assert "text/plain" in schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]


def test_options_on_a_view_without_a_serializer_class_is_not_a_server_error(client_for, doctor):
    response = client_for(doctor.user).options("/api/v1/doctors/me/slots")

    assert response.status_code == 200
    assert "actions" not in response.json()


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_methods_on_operational_endpoints_are_405_not_a_csrf_refusal(path, method):
    # The test client skips CSRF checks unless told to; a real client gets them.
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(path)

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["code"] == "method_not_allowed"
