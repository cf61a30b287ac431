"""JWT checks, refresh rotation and revocation, and logout."""

import base64
import datetime as dt
import json
import threading

import jwt
import pytest
from django.db import connection
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tests.conftest import bearer

ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
pytestmark = pytest.mark.django_db


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign(claims: dict, secret: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_valid_access_token_is_accepted(api_client, patient, tokens):
    pair = tokens(patient)

    response = api_client.get(ME, **bearer(pair["token"]))

    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == str(patient.pk)


def test_alg_none_token_is_401(api_client, patient, tokens):
    claims = claims_of(tokens(patient)["token"])
    forged = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."

    response = api_client.get(ME, **bearer(forged))

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_token_with_a_bad_signature_is_401(api_client, patient, tokens):
    claims = claims_of(tokens(patient)["token"])

    response = api_client.get(
        ME, **bearer(sign(claims, "another-secret-of-the-same-size-0123456789"))
    )

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_token_with_an_edited_role_is_401(api_client, patient, tokens):
    token = tokens(patient)["token"]
    header, _payload, signature = token.split(".")
    claims = claims_of(token)
    claims["role"] = "ADMIN"

    response = api_client.get(ME, **bearer(f"{header}.{b64(claims)}.{signature}"))

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_correctly_signed_token_claiming_another_role_is_401(api_client, patient, settings):
    from accounts.tokens import access_token_for

    claims = claims_of(access_token_for(patient))
    claims["role"] = "ADMIN"

    response = api_client.get(ME, **bearer(sign(claims, settings.JWT_SECRET)))

    assert response.status_code == 401


def test_expired_token_is_401(api_client, patient, settings):
    from accounts.tokens import access_token_for

    claims = claims_of(access_token_for(patient))
    claims["exp"] = int((dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).timestamp())

    response = api_client.get(ME, **bearer(sign(claims, settings.JWT_SECRET)))

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_not_yet_valid_token_is_401(api_client, patient, settings):
    from accounts.tokens import access_token_for

    claims = claims_of(access_token_for(patient))
    claims["nbf"] = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).timestamp())

    response = api_client.get(ME, **bearer(sign(claims, settings.JWT_SECRET)))

    assert response.status_code == 401


def test_refresh_token_is_not_accepted_as_an_access_token(api_client, patient, tokens):
    response = api_client.get(ME, **bearer(tokens(patient)["refreshToken"]))

    assert response.status_code == 401


@pytest.mark.parametrize("claim", ["sub", "role", "ver"])
def test_token_missing_a_claim_is_401(api_client, patient, settings, claim):
    from accounts.tokens import access_token_for

    claims = claims_of(access_token_for(patient))
    del claims[claim]

    response = api_client.get(ME, **bearer(sign(claims, settings.JWT_SECRET)))

    assert response.status_code == 401


def test_token_of_a_deleted_user_is_401(api_client, make_user, token_for):
    user = make_user()
    token = token_for(user)
    assert api_client.get(ME, **bearer(token)).status_code == 200  # state cached
    user.delete()

    response = api_client.get(ME, **bearer(token))

    assert response.status_code == 401


def test_missing_token_is_401_not_authenticated(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_refresh_rotates_and_the_old_refresh_token_is_revoked(api_client, patient, tokens):
    pair = tokens(patient)

    response = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")

    data = response.json()["data"]
    assert response.status_code == 200
    assert set(data) == {"token", "refreshToken"}
    assert data["refreshToken"] != pair["refreshToken"]
    assert claims_of(data["token"])["role"] == "PATIENT"
    assert api_client.get(ME, **bearer(data["token"])).status_code == 200
    old_jti = claims_of(pair["refreshToken"])["jti"]
    assert BlacklistedToken.objects.filter(token__jti=old_jti).count() == 1


def test_reusing_a_rotated_refresh_token_is_401(api_client, patient, tokens):
    pair = tokens(patient)
    api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")

    response = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    assert OutstandingToken.objects.filter(user=patient).count() == 2


def test_refresh_tokens_are_stored_only_as_fingerprints(patient, tokens):
    pair = tokens(patient)

    stored = OutstandingToken.objects.get(user=patient).token

    assert pair["refreshToken"] not in stored
    assert len(stored) == 64


@pytest.mark.parametrize(
    "raw",
    ["garbage", "a.b.c", ""],
)
def test_refresh_with_a_malformed_token_is_401_or_400(api_client, raw):
    response = api_client.post(REFRESH, {"refreshToken": raw}, format="json")

    assert response.status_code == (400 if raw == "" else 401)


def test_refresh_with_an_access_token_is_401(api_client, patient, tokens):
    response = api_client.post(REFRESH, {"refreshToken": tokens(patient)["token"]}, format="json")

    assert response.status_code == 401


def test_refresh_with_an_unrecorded_but_signed_refresh_token_is_401(api_client, patient):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = RefreshToken()
    token["sub"], token["role"], token["ver"] = str(patient.pk), "PATIENT", 0

    response = api_client.post(REFRESH, {"refreshToken": str(token)}, format="json")

    assert response.status_code == 401


def test_refresh_for_a_deactivated_user_is_401(api_client, patient, tokens):
    pair = tokens(patient)
    patient.is_active = False
    patient.save()

    response = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")

    assert response.status_code == 401


def test_refresh_ignores_a_bad_authorization_header(api_client, patient, tokens):
    pair = tokens(patient)

    response = api_client.post(
        REFRESH,
        {"refreshToken": pair["refreshToken"]},
        format="json",
        HTTP_AUTHORIZATION="Bearer garbage",
    )

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_succeed_exactly_once(make_user):
    from rest_framework.test import APIClient

    user = make_user()
    pair = (
        APIClient()
        .post(
            "/api/v1/auth/login",
            {"email": user.email, "password": "Correct-Horse-42!"},
            format="json",
        )
        .json()["data"]
    )
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def refresh() -> None:
        try:
            client = APIClient()
            barrier.wait()
            response = client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401]
    assert OutstandingToken.objects.filter(user=user).count() == 2


def test_logout_revokes_the_refresh_token(api_client, patient, tokens, audit_calls):
    pair = tokens(patient)

    response = api_client.post(
        LOGOUT, {"refreshToken": pair["refreshToken"]}, format="json", **bearer(pair["token"])
    )

    assert response.status_code == 204
    refreshed = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")
    assert refreshed.status_code == 401
    assert audit_calls.of("auth.logout")[0]["object_id"] == patient.pk


def test_logout_twice_is_still_204(api_client, patient, tokens):
    pair = tokens(patient)
    body = {"refreshToken": pair["refreshToken"]}
    api_client.post(LOGOUT, body, format="json", **bearer(pair["token"]))

    response = api_client.post(LOGOUT, body, format="json", **bearer(pair["token"]))

    assert response.status_code == 204


def test_logout_with_another_users_refresh_token_is_400_and_revokes_nothing(
    api_client, patient, patient_b, tokens
):
    mine, theirs = tokens(patient), tokens(patient_b)

    response = api_client.post(
        LOGOUT, {"refreshToken": theirs["refreshToken"]}, format="json", **bearer(mine["token"])
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["refreshToken"]
    assert BlacklistedToken.objects.count() == 0


def test_logout_needs_an_access_token(api_client, patient, tokens):
    pair = tokens(patient)

    response = api_client.post(LOGOUT, {"refreshToken": pair["refreshToken"]}, format="json")

    assert response.status_code == 401
    assert BlacklistedToken.objects.count() == 0


def test_logout_with_a_forged_refresh_token_is_400(api_client, patient, tokens):
    pair = tokens(patient)
    forged = sign(claims_of(pair["refreshToken"]), "not-the-secret-not-the-secret-0123456789")

    response = api_client.post(
        LOGOUT, {"refreshToken": forged}, format="json", **bearer(pair["token"])
    )

    assert response.status_code == 400
    assert BlacklistedToken.objects.count() == 0
