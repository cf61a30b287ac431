"""Content negotiation: JSON for what clients send, 406 in the envelope otherwise."""

import pytest

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]

BODY = {"name": "ab", "count": 1}


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json; indent=2", "text/html, */*;q=0.1"],
)
def test_json_is_served_for_what_accepts_it(api_client, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = api_client.post("/api/v1/test/echo", BODY, format="json", **headers)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["data"] == {"echo": BODY}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/*"])
def test_a_type_the_api_cannot_give_is_406_in_the_envelope(api_client, accept):
    response = api_client.post("/api/v1/test/echo", BODY, format="json", HTTP_ACCEPT=accept)

    assert response.status_code == 406
    body = response.json()
    assert body["status"] == "fail"
    assert body["requestId"] == response["X-Request-ID"]


def test_the_schema_still_negotiates_between_its_renderers(client):
    as_json = client.get("/api/schema", HTTP_ACCEPT="application/json")
    as_default = client.get("/api/schema", HTTP_ACCEPT="*/*")

    assert as_json["Content-Type"].startswith("application/json")
    assert as_json.json()["openapi"].startswith("3.")
    assert as_default.status_code == 200
