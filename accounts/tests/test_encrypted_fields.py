"""The encrypted model fields: AES-256-GCM per value, bound to its column, keys rotate."""

import base64
import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accounts.models import PatientProfile
from amrutam.common.fields import (
    EncryptedLookupError,
    EncryptionError,
    blind_index_lookup,
    decrypt_text,
    encrypt_text,
    key_id,
    parse_key,
    stored_key_id,
)

KEY_A = "A" * 32
KEY_B = base64.b64encode(b"b" * 32).decode()
pytestmark = pytest.mark.django_db


def raw_column(profile: PatientProfile, column: str) -> str:
    sql = "SELECT {} FROM accounts_patientprofile WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql.format(connection.ops.quote_name(column)), [profile.pk])
        return cursor.fetchone()[0]


def test_a_value_round_trips_and_is_stored_as_versioned_ciphertext(patient):
    profile = PatientProfile.objects.create(user=patient, allergies="Peanuts")

    stored = raw_column(profile, "allergies")

    assert stored.startswith("v1:")
    assert "Peanuts" not in stored
    assert PatientProfile.objects.get(pk=profile.pk).allergies == "Peanuts"


def test_the_same_value_encrypts_differently_each_time():
    first = encrypt_text("same", context="accounts.patientprofile.gender")
    second = encrypt_text("same", context="accounts.patientprofile.gender")

    assert first != second
    nonce_a = base64.b64decode(first.split(":")[2])[:12]
    nonce_b = base64.b64decode(second.split(":")[2])[:12]
    assert nonce_a != nonce_b


def test_a_value_copied_into_another_column_fails_to_decrypt(patient):
    profile = PatientProfile.objects.create(user=patient, allergies="Peanuts", gender="female")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_patientprofile SET gender = allergies WHERE id = %s", [profile.pk]
        )

    with pytest.raises(EncryptionError, match="failed authentication"):
        PatientProfile.objects.get(pk=profile.pk)


def test_a_value_copied_to_another_row_still_decrypts_only_in_its_column(patient, patient_b):
    stored = encrypt_text("x", context="accounts.patientprofile.allergies")

    assert decrypt_text(stored, context="accounts.patientprofile.allergies") == "x"
    with pytest.raises(EncryptionError):
        decrypt_text(stored, context="consultations.consultation.reason")


def test_a_tampered_ciphertext_fails(patient):
    stored = encrypt_text("x", context="c")
    prefix, kid, payload = stored.split(":")
    blob = bytearray(base64.b64decode(payload))
    blob[-1] ^= 1

    with pytest.raises(EncryptionError):
        decrypt_text(f"{prefix}:{kid}:{base64.b64encode(bytes(blob)).decode()}", context="c")


@pytest.mark.parametrize("stored", ["plain text", "v1:abc", "v1:abc:!!!", "v2:k:AAAA", ""])
def test_a_value_that_is_not_ciphertext_raises_instead_of_passing_through(stored):
    with pytest.raises(EncryptionError):
        decrypt_text(stored, context="c")


def test_a_missing_key_raises_a_clear_error(patient, settings):
    profile = PatientProfile.objects.create(user=patient, allergies="Peanuts")
    settings.ENCRYPTION_KEY = KEY_A  # the test key is gone and not listed as previous

    with pytest.raises(EncryptionError, match="not configured"):
        PatientProfile.objects.get(pk=profile.pk)


def test_no_encryption_key_at_all_raises(patient, settings):
    settings.ENCRYPTION_KEY = None

    with pytest.raises(EncryptionError, match="ENCRYPTION_KEY is not set"):
        PatientProfile.objects.create(user=patient, allergies="Peanuts")


def test_a_wrong_key_with_a_colliding_id_still_fails_authentication():
    stored = encrypt_text("x", context="c")
    kid = stored.split(":")[1]
    forged = f"v1:{kid}:{base64.b64encode(b'n' * 12 + b'garbage-cipher-text!').decode()}"

    with pytest.raises(EncryptionError, match="failed authentication"):
        decrypt_text(forged, context="c")


@pytest.mark.parametrize(
    ("value", "length"),
    [("k" * 32, 32), (base64.b64encode(b"\x01" * 32).decode(), 32)],
)
def test_keys_are_32_raw_characters_or_base64_of_32_bytes(value, length):
    assert len(parse_key(value)) == length


@pytest.mark.parametrize("value", ["short", "é" * 32, base64.b64encode(b"x" * 16).decode(), ""])
def test_other_keys_are_refused(value):
    with pytest.raises(ImproperlyConfigured):
        parse_key(value)


def test_filtering_on_an_encrypted_field_raises():
    with pytest.raises(EncryptedLookupError):
        PatientProfile.objects.filter(phone="+911234567")
    with pytest.raises(EncryptedLookupError):
        PatientProfile.objects.filter(allergies__icontains="nut")


def test_isnull_lookups_still_work(patient):
    PatientProfile.objects.create(user=patient, allergies=None)

    assert PatientProfile.objects.filter(allergies__isnull=True).count() == 1


def test_date_field_round_trips_dates_and_datetimes(patient):
    profile = PatientProfile.objects.create(
        user=patient, date_of_birth=dt.datetime(1990, 4, 1, 12, 0, tzinfo=dt.UTC)
    )

    assert PatientProfile.objects.get(pk=profile.pk).date_of_birth == dt.date(1990, 4, 1)


def test_json_field_round_trips(patient):
    from amrutam.common.fields import EncryptedJSONField

    field = EncryptedJSONField()
    field.set_attributes_from_name("payload")
    field.model = PatientProfile

    stored = field.get_prep_value({"b": [1, 2], "a": "x"})

    assert field.from_db_value(stored, None, connection) == {"a": "x", "b": [1, 2]}


def test_previous_keys_decrypt_and_the_active_key_encrypts(patient, settings):
    settings.ENCRYPTION_KEY = KEY_A
    profile = PatientProfile.objects.create(user=patient, allergies="Peanuts")
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]

    profile = PatientProfile.objects.get(pk=profile.pk)
    profile.gender = "female"
    profile.save(update_fields=["gender"])

    assert profile.allergies == "Peanuts"
    assert stored_key_id(raw_column(profile, "allergies")) == key_id(parse_key(KEY_A))
    assert stored_key_id(raw_column(profile, "gender")) == key_id(parse_key(KEY_B))


def test_phone_lookup_matches_hashes_made_under_a_previous_key(patient, settings):
    settings.ENCRYPTION_KEY = KEY_A
    PatientProfile.objects.create(user=patient, phone="+91 98765 43210")
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]

    hashes = blind_index_lookup(PatientProfile, "phone", "+919876543210")

    assert len(hashes) == 2
    assert PatientProfile.objects.filter(phone_hash__in=hashes).count() == 1
