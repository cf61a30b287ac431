"""A TOTP code, a recovery code and an mfaToken each let exactly one racing request in."""

from __future__ import annotations

import pytest

from accounts.errors import InvalidMFACode, MFATokenInvalid
from accounts.mfa import SecondFactor, mfa_check
from accounts.mfa_login import MFALoginResult, mfa_login_complete, mfa_token_issue
from accounts.tests.factories import UserFactory, totp_code
from consultations.tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 4


def outcomes(results: list[object]) -> list[str]:
    return sorted(type(r).__name__ for r in results)


def test_one_code_sent_by_racing_logins_lets_exactly_one_in():
    user = UserFactory(role="DOCTOR")
    code = totp_code(user)
    raw_tokens = [mfa_token_issue(user=user) for _ in range(RACERS)]

    results = race(
        [
            lambda raw=raw: mfa_login_complete(raw=raw, factor=SecondFactor(code=code))
            for raw in raw_tokens
        ]
    )

    assert sum(isinstance(r, MFALoginResult) for r in results) == 1
    assert sum(isinstance(r, InvalidMFACode) for r in results) == RACERS - 1


def test_one_mfa_token_used_by_racing_requests_lets_exactly_one_in():
    user = UserFactory(role="DOCTOR", mfa=False)
    from accounts.mfa import mfa_enrolment_confirm, mfa_setup

    secret = mfa_setup(user=user).secret
    codes = mfa_enrolment_confirm(user=user, code=totp_code(secret))
    raw = mfa_token_issue(user=user)

    results = race(
        [
            lambda c=c: mfa_login_complete(raw=raw, factor=SecondFactor(recovery_code=c))
            for c in codes[:RACERS]
        ]
    )

    assert sum(isinstance(r, MFALoginResult) for r in results) == 1
    assert all(isinstance(r, (MFALoginResult, MFATokenInvalid, InvalidMFACode)) for r in results), (
        outcomes(results)
    )


def test_one_recovery_code_racing_against_itself_is_spent_once():
    user = UserFactory(role="DOCTOR", mfa=False)
    from accounts.mfa import mfa_enrolment_confirm, mfa_setup

    secret = mfa_setup(user=user).secret
    code = mfa_enrolment_confirm(user=user, code=totp_code(secret))[0]

    results = race([lambda: mfa_check(user=user, factor=SecondFactor(recovery_code=code))] * RACERS)

    assert results.count("recovery_code") == 1
    assert sum(isinstance(r, InvalidMFACode) for r in results) == RACERS - 1
