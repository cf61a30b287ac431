"""Reading the back office's lists in tests."""

from typing import Any

from django.test import Client


def changelist(client: Client, url: str) -> list[Any]:
    """The rows of an admin changelist page, which must answer 200."""
    response = client.get(url)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def staff_login(client: Client, user: Any) -> Client:
    """Log `user` in to the back office as after the password and the TOTP step."""
    from accounts.admin_mfa import SESSION_KEY

    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = user.token_version
    session.save()
    return client
