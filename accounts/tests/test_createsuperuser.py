"""Operators create administrators with createsuperuser, interactively or not."""

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_noinput_createsuperuser_needs_only_email_and_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Ops@Clinic.example")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Operator-Pass-2024!")

    call_command("createsuperuser", interactive=False, verbosity=0)

    user = User.objects.get()
    assert user.email == "ops@clinic.example"
    assert user.name == "Ops"
    assert (user.role, user.is_staff, user.is_superuser) == ("ADMIN", True, True)
    assert user.check_password("Operator-Pass-2024!")


def test_superuser_can_log_in_through_the_api(monkeypatch, login):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@clinic.example")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Operator-Pass-2024!")
    call_command("createsuperuser", interactive=False, verbosity=0)

    response = login("ops@clinic.example", "Operator-Pass-2024!")

    assert response.status_code == 200
    assert response.json()["data"]["user"]["role"] == "ADMIN"
