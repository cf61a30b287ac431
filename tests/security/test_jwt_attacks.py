"""Forged, confused, stale and revoked JWTs: 401 on every endpoint that needs a token,
ignored by every endpoint that needs none.

accounts/tests/test_tokens.py checks the basic forgeries (alg none, a wrong secret, an
edited role, expiry, nbf) against one endpoint; these run every attack against every
route of the security matrix.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from rest_framework.test import APIClient

from tests.security.test_matrix import TABLE

pytestmark = [
    pytest.mark.django_db,
    # The HS512 forgery signs with the real (HS256-sized) secret on purpose.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

PROTECTED = [row for row in TABLE if row.expect[0] == 401]
# The attacker's own key pair: what an RS256 / HS-RS confusion forgery is made with.
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_PUBLIC_PEM = ATTACKER_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user: Any, **changes: Any) -> dict[str, Any]:
    from accounts.tokens import access_token_for

    claims = jwt.decode(access_token_for(user), options={"verify_signature": False})
    claims.update(changes)
    return claims


def _now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def _unsigned(alg: str) -> Callable[[Any], str]:
    def make(user: Any) -> str:
        return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims(user))}."

    return make


def _rs256_with_embedded_key(user: Any) -> str:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_KEY.public_key(), as_dict=True)
    return jwt.encode(
        _claims(user), ATTACKER_KEY, algorithm="RS256", headers={"jwk": public, "kid": "attacker"}
    )


def _hs256_signed_with_a_public_key(user: Any) -> str:
    # The HS/RS confusion: a verifier that takes its key from the token's alg would check
    # this HMAC with the "public key" it holds. PyJWT refuses PEM keys as HMAC secrets,
    # so the signature is computed by hand.
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_claims(user))}"
    digest = hmac.new(ATTACKER_PUBLIC_PEM, signing_input.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def _other_hmac(alg: str) -> Callable[[Any], str]:
    def make(user: Any) -> str:
        # The right secret, but an algorithm the service does not use: pinned to HS256.
        return jwt.encode(_claims(user), settings.JWT_SECRET, algorithm=alg)

    return make


def _signed(**changes: Any) -> Callable[[Any], str]:
    def make(user: Any) -> str:
        fields = {k: (v() if callable(v) else v) for k, v in changes.items()}
        return jwt.encode(_claims(user, **fields), settings.JWT_SECRET, algorithm="HS256")

    return make


def _revoked_by_password_change(user: Any) -> str:
    from accounts.services import user_password_change
    from accounts.tests.factories import DEFAULT_PASSWORD
    from accounts.tokens import access_token_for

    token = access_token_for(user)
    user_password_change(
        user=user, current_password=DEFAULT_PASSWORD, new_password="Violet-Ledger-93!"
    )
    return token


ATTACKS = {
    "alg none": _unsigned("none"),
    "alg None": _unsigned("None"),
    "alg NONE": _unsigned("NONE"),
    "RS256 with the attacker's key in the header": _rs256_with_embedded_key,
    "HS256 keyed with a public key (HS/RS confusion)": _hs256_signed_with_a_public_key,
    "HS384 with the right secret": _other_hmac("HS384"),
    "HS512 with the right secret": _other_hmac("HS512"),
    "expired": _signed(exp=lambda: _now() - 1),
    "not yet valid (nbf in the future)": _signed(nbf=lambda: _now() + 300),
    "issued in the future (iat)": _signed(iat=lambda: _now() + 3600, exp=lambda: _now() + 7200),
    "a refresh token": _signed(token_type="refresh"),
    "a claim of another user id": _signed(sub=str(uuid.uuid4())),
    "revoked by a password change": _revoked_by_password_change,
}


class _AnyId(dict):
    def __missing__(self, key: str) -> str:
        return str(uuid.uuid4())


def _any_ids(path: str) -> str:
    # The token is refused before any lookup, so any well-formed id will do.
    return path.format_map(_AnyId())


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_forged_or_stale_token_is_401_on_every_protected_endpoint(patient, attack):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ATTACKS[attack](patient)}")
    answers = {}

    for row in PROTECTED:
        call = getattr(client, row.method.lower())
        response = call(_any_ids(row.path), {}, format="json", **row.headers)
        answers[row.id] = (response.status_code, response.json().get("code"))

    assert answers == {row.id: (401, "token_invalid") for row in PROTECTED}


def test_open_endpoints_ignore_a_forged_token(patient):
    from accounts.tests.factories import DEFAULT_PASSWORD

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_unsigned('none')(patient)}")

    login = client.post(
        "/api/v1/auth/login", {"email": patient.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    health = client.get("/health")

    assert login.status_code == 200
    assert health.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "a" * 60_000,
        "Bearer a.b",
        "Bearer ..",
        "Bearer " + "é" * 20,
        "Bearer a.b.c.d.e",
    ],
    ids=["60 KB", "two parts", "empty parts", "not ascii", "five parts"],
)
def test_malformed_token_is_401_not_500(api_client, header):
    response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_a_token_in_the_query_string_is_not_accepted(api_client, token_for, patient):
    response = api_client.get(f"/api/v1/auth/me?token={token_for(patient)}")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_refresh_token_signed_with_an_attackers_key_is_refused(api_client, patient):
    from accounts.tokens import token_pair_for

    claims = jwt.decode(token_pair_for(patient).refresh, options={"verify_signature": False})

    response = api_client.post(
        "/api/v1/auth/token/refresh",
        {"refreshToken": jwt.encode(claims, ATTACKER_KEY, algorithm="RS256")},
        format="json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_a_refresh_token_not_yet_valid_is_refused(api_client, patient):
    from accounts.tokens import token_pair_for

    claims = jwt.decode(token_pair_for(patient).refresh, options={"verify_signature": False})
    claims["nbf"] = _now() + 300

    response = api_client.post(
        "/api/v1/auth/token/refresh",
        {"refreshToken": jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")},
        format="json",
    )

    assert response.status_code == 401
