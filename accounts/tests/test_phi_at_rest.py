"""A sentinel written through the API is nowhere in the database in clear, yet reads back."""

import pytest
from django.db import connection

from accounts.models import PatientProfile

SENTINEL = "SENTINEL-PHI-7f3c9a"
pytestmark = pytest.mark.django_db


def tables_containing(text: str) -> list[str]:
    """Every table of the database whose rows, rendered as text, contain `text`."""
    qn = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(
                f"SELECT COUNT(*) FROM {qn(table)} AS t WHERE t::text LIKE %s",  # noqa: S608
                [f"%{text}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def test_profile_phi_is_absent_in_clear_from_every_table_and_present_after_decrypt(
    client_for, patient
):
    profile = {
        "phone": "+91 90000 12345",
        "gender": SENTINEL + "-gender",
        "allergies": SENTINEL + "-allergies",
        "medicalHistory": SENTINEL + "-history",
    }

    response = client_for(patient).patch("/api/v1/auth/me", {"profile": profile}, format="json")

    assert response.status_code == 200
    assert tables_containing(SENTINEL) == []
    assert tables_containing("90000 12345") == []
    assert tables_containing("9000012345") == []
    stored = PatientProfile.objects.get(user=patient)
    assert stored.allergies == SENTINEL + "-allergies"
    assert stored.medical_history == SENTINEL + "-history"
    assert stored.phone == "+91 90000 12345"


def test_the_scan_does_find_clear_text(patient):
    patient.name = SENTINEL
    patient.save(update_fields=["name"])

    assert "accounts_user" in tables_containing(SENTINEL)
