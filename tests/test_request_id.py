"""X-Request-ID: echoed when sane, generated otherwise, and in the error body and logs."""

import json
import logging

import pytest

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]


def test_sane_incoming_request_id_is_echoed(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc-123_x.y")

    assert response["X-Request-ID"] == "abc-123_x.y"


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, "semi;colon", "ünïcode"])
def test_insane_request_id_is_replaced(client, bad):
    response = client.get("/health", HTTP_X_REQUEST_ID=bad)

    generated = response["X-Request-ID"]
    assert generated != bad
    assert len(generated) == 32
    assert generated.isalnum()


def test_generated_ids_differ_per_request(client):
    first = client.get("/health")["X-Request-ID"]
    second = client.get("/health")["X-Request-ID"]

    assert first != second


def test_error_body_carries_the_incoming_request_id(api_client):
    response = api_client.get("/api/v1/test/private", HTTP_X_REQUEST_ID="req-42")

    assert response.json()["requestId"] == "req-42"


def test_access_log_line_is_json_with_request_id_and_no_body(client, capsys):
    from amrutam.common.logging import json_formatter

    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("amrutam.request")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.post(
            "/api/v1/test/echo",
            {"name": "SENTINEL-BODY", "count": 1},
            content_type="application/json",
            HTTP_X_REQUEST_ID="log-req-1",
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line.get("event") == "request"]
    assert len(access) == 1
    assert access[0]["request_id"] == "log-req-1"
    assert access[0]["method"] == "POST"
    assert access[0]["path"] == "/api/v1/test/echo"
    assert access[0]["status"] == 400
    assert "duration_ms" in access[0]
    assert "SENTINEL-BODY" not in json.dumps(lines)
