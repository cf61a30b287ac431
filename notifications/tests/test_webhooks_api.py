"""The webhook admin API: shapes of API.md, the secret shown once and stored encrypted,
bad URLs and unknown events refused with 400 validation_error, ADMIN only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from audit.models import AuditEntry
from notifications.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/webhooks"
PUBLIC = "https://93.184.215.14/hooks/amrutam"


def create(client, **body):
    body.setdefault("url", PUBLIC)
    body.setdefault("events", ["consultation.booked"])
    return client.post(URL, body, format="json")


def test_create_answers_201_with_the_secret_once_and_stores_it_encrypted(client_for, admin_user):
    client = client_for(admin_user)

    response = create(client, events=["consultation.booked", "payment.paid"])

    assert response.status_code == 201
    webhook = response.json()["data"]["webhook"]
    assert set(webhook) == {"id", "url", "events", "isActive", "secret"}
    assert webhook["events"] == ["consultation.booked", "payment.paid"]
    assert webhook["isActive"] is True
    detail = client.get(f"{URL}/{webhook['id']}").json()["data"]["webhook"]
    assert set(detail) == {"id", "url", "events", "isActive"}
    listed = client.get(URL).json()["data"]
    assert [w["id"] for w in listed["webhooks"]] == [webhook["id"]]
    assert listed["pagination"]["total"] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM notifications_webhookendpoint")
        [(stored,)] = cursor.fetchall()
    assert webhook["secret"] not in stored
    assert WebhookEndpoint.objects.get().secret == webhook["secret"]


def test_patch_changes_events_and_activity_and_delete_removes(client_for, admin_user):
    client = client_for(admin_user)
    webhook_id = create(client).json()["data"]["webhook"]["id"]

    patched = client.patch(
        f"{URL}/{webhook_id}",
        {"events": ["consultation.cancelled"], "isActive": False},
        format="json",
    )
    deleted = client.delete(f"{URL}/{webhook_id}")

    assert patched.status_code == 200
    assert patched.json()["data"]["webhook"]["events"] == ["consultation.cancelled"]
    assert patched.json()["data"]["webhook"]["isActive"] is False
    assert deleted.status_code == 204
    assert client.get(f"{URL}/{webhook_id}").status_code == 404
    actions = set(AuditEntry.objects.filter(object_type="webhook").values_list("action", flat=True))
    assert actions == {"webhook.created", "webhook.updated", "webhook.deleted"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://93.184.215.14/hook"}, "url"),
        ({"url": "https://10.1.2.3/hook"}, "url"),
        ({"url": "https://127.0.0.1/hook"}, "url"),
        ({"url": "https://localhost/hook"}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "https://[::1]/hook"}, "url"),
        ({"url": "https://[::ffff:10.0.0.1]/hook"}, "url"),
        ({"url": "https://no-such-host.invalid/hook"}, "url"),
        ({"url": "https://user:pass@93.184.215.14/hook"}, "url"),
        ({"url": "ftp://93.184.215.14/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://93.184.215.14:99999/hook"}, "url"),
        ({"url": ""}, "url"),
        ({"url": 42}, "url"),
        ({"events": ["consultation.exploded"]}, "events[0]"),
        ({"events": []}, "events"),
        ({"events": "consultation.booked"}, "events"),
    ],
)
def test_bad_urls_and_events_are_400_validation_error_and_create_nothing(
    client_for, admin_user, body, field
):
    response = create(client_for(admin_user), **body)

    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "validation_error"
    assert field in payload["errors"]
    assert WebhookEndpoint.objects.count() == 0


def test_a_patch_to_a_private_url_is_refused_and_changes_nothing(client_for, admin_user):
    client = client_for(admin_user)
    webhook_id = create(client).json()["data"]["webhook"]["id"]

    response = client.patch(f"{URL}/{webhook_id}", {"url": "https://192.168.1.5/"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert WebhookEndpoint.objects.get().url == PUBLIC


def test_private_targets_are_allowed_only_when_the_setting_says_so(
    client_for, admin_user, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    response = create(client_for(admin_user), url="http://127.0.0.1:9/hook")

    assert response.status_code == 201


@pytest.mark.parametrize("role", ["anonymous", "patient", "doctor"])
def test_only_admins_reach_the_webhook_api(api_client, client_for, patient, doctor, role):
    client = {
        "anonymous": api_client,
        "patient": client_for(patient) if role == "patient" else None,
        "doctor": client_for(doctor.user) if role == "doctor" else None,
    }[role]

    listed = client.get(URL)
    created = create(client)

    expected = 401 if role == "anonymous" else 403
    assert (listed.status_code, created.status_code) == (expected, expected)
    assert WebhookEndpoint.objects.count() == 0


def test_deliveries_list_has_the_documented_fields(
    client_for, admin_user, receiver, slot_in, booked
):
    from notifications.models import OutboxEvent
    from notifications.services import event_dispatch

    client = client_for(admin_user)
    webhook_id = create(client, url=receiver.url).json()["data"]["webhook"]["id"]
    consultation = booked(slot_in(dt.timedelta(hours=30)))
    event_dispatch(event_id=OutboxEvent.objects.get(consultation_id=consultation.pk).pk)

    response = client.get(f"{URL}/{webhook_id}/deliveries")

    assert response.status_code == 200
    data = response.json()["data"]
    [delivery] = data["deliveries"]
    assert set(delivery) == {
        "id",
        "event",
        "status",
        "attempts",
        "lastStatusCode",
        "nextAttemptAt",
        "createdAt",
    }
    assert (delivery["event"], delivery["status"], delivery["attempts"]) == (
        "consultation.booked",
        "PENDING",
        0,
    )
    assert data["pagination"]["total"] == 1
