"""Exceptions in the logs: where and what failed, never the message (it can hold PHI)."""

import io
import json
import logging

import pytest

from amrutam.common.logging import json_formatter

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]

DIAGNOSIS = "patient Asha Rao, diagnosis: type 2 diabetes"


def formatted(exc: BaseException) -> dict:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, None)
    record.exc_info = (type(exc), exc, exc.__traceback__)
    return json.loads(json_formatter().format(record))


def raise_chained() -> None:
    try:
        {}["x"]
    except KeyError as exc:
        raise ValueError(DIAGNOSIS) from exc


def test_a_logged_exception_names_its_type_and_frames_but_not_its_message():
    try:
        raise RuntimeError(DIAGNOSIS)
    except RuntimeError as exc:
        line = formatted(exc)

    assert "diabetes" not in json.dumps(line)
    assert line["exception"].endswith("RuntimeError: (message withheld)")
    assert (
        "test_a_logged_exception_names_its_type_and_frames_but_not_its_message"
        in (line["exception"])
    )


def test_every_exception_of_a_chain_is_withheld_and_the_link_kept():
    try:
        raise_chained()
    except ValueError as exc:
        text = formatted(exc)["exception"]

    assert "diabetes" not in text
    assert "KeyError: (message withheld)" in text
    assert "The above exception was the direct cause of the following exception:" in text
    assert text.index("KeyError") < text.index("ValueError: (message withheld)")
    assert "raise_chained" in text


def test_an_unhandled_view_error_is_logged_with_its_request_id_and_without_its_message(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logging.getLogger().addHandler(handler)
    try:
        response = client.get("/plain-boom", HTTP_X_REQUEST_ID="req-redact-1")
    finally:
        logging.getLogger().removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [line for line in lines if line["event"] == "unhandled_exception"]
    assert response.status_code == 500
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-redact-1"
    assert errors[0]["exception"].endswith("RuntimeError: (message withheld)")
    # The frame shows the view's source line; the message it raised is not in the log.
    assert "RuntimeError: secret detail" not in stream.getvalue()
