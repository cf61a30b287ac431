"""POST /api/v1/auth/password: checks the current password, revokes every token."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from accounts.tests.conftest import STRONG_PASSWORD, bearer
from accounts.tests.factories import DEFAULT_PASSWORD

URL = "/api/v1/auth/password"
REFRESH = "/api/v1/auth/token/refresh"
ME = "/api/v1/auth/me"
pytestmark = pytest.mark.django_db


def change(client, token, current=DEFAULT_PASSWORD, new=STRONG_PASSWORD):
    return client.post(
        URL, {"currentPassword": current, "newPassword": new}, format="json", **bearer(token)
    )


def test_password_change_sets_the_password_and_revokes_every_token(
    api_client, patient, tokens, login, audit_calls
):
    first, second = tokens(patient), tokens(patient)

    response = change(api_client, first["token"])

    assert response.status_code == 204
    assert User.objects.get(pk=patient.pk).check_password(STRONG_PASSWORD)
    assert api_client.get(ME, **bearer(second["token"])).status_code == 401
    for pair in (first, second):
        refreshed = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")
        assert refreshed.status_code == 401
    assert BlacklistedToken.objects.count() == OutstandingToken.objects.count() == 2
    assert login(patient.email, STRONG_PASSWORD).status_code == 200
    assert login(patient.email, DEFAULT_PASSWORD).status_code == 401
    assert audit_calls.of("auth.password_changed")[0]["object_id"] == patient.pk


def test_wrong_current_password_is_400_and_changes_nothing(api_client, patient, tokens):
    pair = tokens(patient)

    response = change(api_client, pair["token"], current="Not-My-Password-1")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["currentPassword"]
    assert User.objects.get(pk=patient.pk).check_password(DEFAULT_PASSWORD)
    assert api_client.get(ME, **bearer(pair["token"])).status_code == 200
    assert BlacklistedToken.objects.count() == 0


def test_weak_new_password_is_400_and_changes_nothing(api_client, patient, tokens):
    pair = tokens(patient)

    response = change(api_client, pair["token"], new="12345678")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["newPassword"]
    assert User.objects.get(pk=patient.pk).check_password(DEFAULT_PASSWORD)
    assert BlacklistedToken.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"currentPassword", "newPassword"}),
        ({"currentPassword": 1, "newPassword": STRONG_PASSWORD}, {"currentPassword"}),
        ({"currentPassword": DEFAULT_PASSWORD, "newPassword": "x" * 129}, {"newPassword"}),
    ],
)
def test_bad_password_input_is_400(api_client, patient, token_for, body, fields):
    response = api_client.post(URL, body, format="json", **bearer(token_for(patient)))

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


def test_password_change_needs_a_token(api_client):
    response = api_client.post(
        URL, {"currentPassword": "a", "newPassword": STRONG_PASSWORD}, format="json"
    )

    assert response.status_code == 401
