"""The back office asks staff for their TOTP code after the password, and sends staff
without an authenticator to enrol first; clinic admins can reset a user's MFA."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import TOTPDevice
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, totp_code
from audit.models import AuditEntry
from tests.backoffice import staff_login

pytestmark = pytest.mark.django_db
VERIFY = "/admin/mfa/verify/"
ENROL = "/admin/mfa/enrol/"


def password_login(user) -> Client:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    return client


def wrong_code(user) -> str:
    return f"{(int(totp_code(user)) + 500000) % 1000000:06d}"


def test_the_password_alone_opens_no_back_office_page(admin_user):
    client = password_login(admin_user)

    pages = [client.get(url) for url in ("/admin/", "/admin/accounts/user/", "/admin/audit/")]

    assert {p.status_code for p in pages} == {302}
    assert {p["Location"].split("?")[0] for p in pages} == {VERIFY}


def test_staff_log_in_with_password_then_code(admin_user):
    client = password_login(admin_user)

    form = client.get(f"{VERIFY}?next=/admin/accounts/user/")
    done = client.post(VERIFY, {"code": totp_code(admin_user), "next": "/admin/accounts/user/"})
    page = client.get("/admin/accounts/user/")

    assert form.status_code == 200
    assert b'name="code"' in form.content
    assert done.status_code == 302
    assert done["Location"] == "/admin/accounts/user/"
    assert page.status_code == 200


def test_a_wrong_code_keeps_the_back_office_closed(admin_user):
    client = password_login(admin_user)

    wrong = client.post(VERIFY, {"code": wrong_code(admin_user)})
    page = client.get("/admin/")

    assert wrong.status_code == 400
    assert b"not valid" in wrong.content
    assert page.status_code == 302
    assert (
        AuditEntry.objects.filter(action="mfa.code_failed", object_id=str(admin_user.pk)).count()
        == 1
    )


def test_staff_log_in_with_a_recovery_code_once(admin_user):
    from accounts.mfa import mfa_enrolment_confirm, mfa_setup

    staff = UserFactory(role="ADMIN", is_staff=True, is_superuser=True, mfa=False)
    secret = mfa_setup(user=staff).secret
    codes = mfa_enrolment_confirm(user=staff, code=totp_code(secret))

    first = password_login(staff).post(VERIFY, {"recovery_code": codes[0]})
    second = password_login(staff).post(VERIFY, {"recovery_code": codes[0]})

    assert first.status_code == 302
    assert second.status_code == 400


def test_staff_without_an_authenticator_enrol_before_anything_else(db):
    staff = UserFactory(role="ADMIN", is_staff=True, is_superuser=True, mfa=False)
    client = password_login(staff)

    first = client.get("/admin/accounts/user/")
    verify = client.get(first["Location"])
    enrol = client.get(verify["Location"])
    secret = enrol.context["secret"]
    wrong = client.post(ENROL, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    confirmed = client.post(ENROL, {"code": totp_code(secret), "next": "/admin/accounts/user/"})
    page = client.get("/admin/accounts/user/")

    assert verify.status_code == 302
    assert verify["Location"].startswith(ENROL)
    assert enrol.status_code == 200
    assert b"<svg" in enrol.content  # the QR code is drawn by the app, inline
    assert b"app-accounts" not in enrol.content  # not even the list of apps
    assert b"http" not in enrol.content.split(b"<svg", 1)[1].split(b"</svg>", 1)[0].replace(
        b"http://www.w3.org/2000/svg", b""
    )
    assert wrong.status_code == 400
    assert confirmed.status_code == 200
    assert len(confirmed.context["recovery_codes"]) == 10
    assert TOTPDevice.objects.get(user=staff).confirmed_at is not None
    assert page.status_code == 200


def test_failed_codes_count_against_the_back_office_login_limit(admin_user, settings):
    settings.RATELIMIT_ADMIN_LOGIN_PER_IP = "2/15m"
    client = password_login(admin_user)
    for _ in range(2):
        assert client.post(VERIFY, {"code": wrong_code(admin_user)}).status_code == 400

    right = client.post(VERIFY, {"code": totp_code(admin_user)})
    password = Client().post(
        "/admin/login/", {"username": admin_user.email, "password": DEFAULT_PASSWORD}
    )

    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert password.status_code == 429


def test_an_admin_resets_a_users_mfa_with_a_reason(admin_user, doctor):
    client = staff_login(Client(), admin_user)
    url = "/admin/accounts/user/"
    picked = {"action": "reset_mfa", "_selected_action": [str(doctor.user.pk)]}

    asked = client.post(url, picked)
    no_reason = client.post(url, {**picked, "apply": "1", "reason": ""})
    done = client.post(url, {**picked, "apply": "1", "reason": "Lost phone, ID checked (T-42)"})

    assert asked.status_code == no_reason.status_code == 200
    assert b'name="reason"' in asked.content
    assert done.status_code == 302
    assert TOTPDevice.objects.filter(user=doctor.user).count() == 0
    entry = AuditEntry.objects.get(action="mfa.reset")
    assert entry.object_id == str(doctor.user.pk)
    assert entry.actor_id == admin_user.pk
    assert entry.changes["reason"] == "Lost phone, ID checked (T-42)"


def test_a_reset_sends_a_logged_in_staff_member_back_to_enrol(admin_user):
    from accounts.mfa import mfa_reset

    client = staff_login(Client(), admin_user)
    assert client.get("/admin/").status_code == 200

    mfa_reset(user=admin_user, reason="test", reset_by="command:test")
    response = client.get("/admin/")

    assert response.status_code == 302


def test_the_user_page_shows_whether_mfa_is_on(admin_user, doctor):
    client = staff_login(Client(), admin_user)
    unenrolled = UserFactory(role="DOCTOR", mfa=False)

    on = client.get(f"/admin/accounts/user/{doctor.user.pk}/change/")
    off = client.get(f"/admin/accounts/user/{unenrolled.pk}/change/")

    assert b"On (authenticator app)" in on.content
    assert b"Off: must enrol at the next login" in off.content
    assert TOTPDevice.objects.get(user=doctor.user).secret.encode() not in on.content
