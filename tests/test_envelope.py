"""The error envelope of API.md on every kind of failure, API and non-API routes alike."""

import pytest

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]


def test_validation_error_lists_fields_in_the_envelope(api_client):
    response = api_client.post("/api/v1/test/echo", {"name": "too long"}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["status"] == "fail"
    assert body["code"] == "validation_error"
    assert set(body["errors"]) == {"name", "count"}
    assert body["requestId"] == response["X-Request-ID"]


def test_malformed_json_is_a_validation_error(api_client):
    response = api_client.post("/api/v1/test/echo", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_deeply_nested_json_is_refused(api_client):
    deep = "[" * 500 + "]" * 500

    response = api_client.post("/api/v1/test/echo", deep, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_success_envelope_wraps_data(api_client):
    response = api_client.post("/api/v1/test/echo", {"name": "ab", "count": 2}, format="json")

    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"echo": {"name": "ab", "count": 2}}}


def test_missing_token_is_401_not_authenticated(api_client):
    response = api_client.get("/api/v1/test/private")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["status"] == "fail"


def test_garbage_token_is_401_token_invalid(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

    response = api_client.get("/api/v1/test/private")

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_unknown_route_is_a_json_404(api_client):
    response = api_client.get("/no/such/page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_a_json_405(api_client):
    response = api_client.get("/api/v1/test/echo")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_wrong_method_on_a_plain_view_is_a_json_405(api_client):
    response = api_client.post("/health")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_oversized_body_is_413(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    body = '{"name": "' + "x" * 2000 + '"}'

    response = api_client.post("/api/v1/test/echo", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_unhandled_error_is_a_500_without_internals(api_client):
    api_client.raise_request_exception = False

    response = api_client.get("/api/v1/test/boom")

    body = response.json()
    assert response.status_code == 500
    assert body["status"] == "error"
    assert body["code"] == "internal_error"
    assert "secret" not in response.content.decode()
    assert "SELECT" not in response.content.decode()
    assert body["requestId"] == response["X-Request-ID"]


def test_unhandled_error_in_a_plain_view_is_a_json_500(client):
    client.raise_request_exception = False

    response = client.get("/plain-boom")

    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint", "/api/v1/doctors/x/y/z", "/api"])
def test_unknown_api_routes_are_a_json_404_in_the_envelope(api_client, path):
    response = api_client.get(path, HTTP_X_REQUEST_ID="req-404")

    assert response.status_code == 404
    assert response.json() == {
        "status": "fail",
        "code": "not_found",
        "message": "Not found.",
        "requestId": "req-404",
    }


def test_oversized_body_answers_the_full_envelope_and_runs_no_view(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    body = '{"name": "ab", "count": 1, "pad": "' + "x" * 200 + '"}'

    response = api_client.post(
        "/api/v1/test/echo", body, content_type="application/json", HTTP_X_REQUEST_ID="req-413"
    )

    payload = response.json()
    assert response.status_code == 413
    assert payload["status"] == "fail"
    assert payload["code"] == "payload_too_large"
    assert payload["requestId"] == "req-413"
    assert "data" not in payload


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.mark.parametrize(
    "path",
    [
        "/no/such/page",
        "/api/v1/no-such-resource",
        "/api/v1/consultations/not-a-uuid",
        "/api/v1/doctors/12345/availability",
    ],
)
def test_unknown_routes_and_malformed_ids_answer_like_a_missing_object(path, client_for, patient):
    client = client_for(patient)
    # A well-formed id of nothing: the 404 a view itself answers.
    missing = client.get("/api/v1/consultations/00000000-0000-4000-8000-000000000000")

    response = client.get(path)

    assert missing.status_code == response.status_code == 404
    assert response["Content-Type"] == missing["Content-Type"] == "application/json"
    for header in SECURITY_HEADERS:
        assert response.get(header), header
        assert response[header] == missing[header], header
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    body = response.json()
    assert list(body) == list(missing.json()) == ["status", "code", "message", "requestId"]
    assert (body["status"], body["code"]) == ("fail", "not_found")
    assert body["requestId"] == response["X-Request-ID"]
    # Rendered the same way (compact JSON) as the view's answer.
    assert response.content.startswith(b'{"status":"fail","code":"not_found"')
