"""manage.py rotate_encryption_key: every encrypted column of every model, resumable."""

import base64
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.management.commands.rotate_encryption_key import encrypted_targets
from accounts.models import PatientProfile
from accounts.selectors import patient_profile_list_by_phone
from accounts.tests.factories import UserFactory
from amrutam.common.fields import key_id, parse_key, stored_key_id

KEY_A = "A" * 32
KEY_B = base64.b64encode(b"b" * 32).decode()
ID_A, ID_B = key_id(parse_key(KEY_A)), key_id(parse_key(KEY_B))
PHI = ("phone", "date_of_birth", "gender", "blood_group", "allergies", "medical_history")
pytestmark = pytest.mark.django_db


def key_ids(table: str, columns: tuple[str, ...]) -> set[str | None]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)}")  # noqa: S608
        return {stored_key_id(v) for row in cursor.fetchall() for v in row if v is not None}


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_key", *args, stdout=out)
    return out.getvalue()


def make_profiles(count: int) -> list[PatientProfile]:
    return [
        PatientProfile.objects.create(
            user=UserFactory(),
            phone=f"+91 90000 {index:05d}",
            date_of_birth="1980-01-02",
            gender="female",
            blood_group="A+",
            allergies=f"allergy {index}",
            medical_history=f"history {index}",
        )
        for index in range(count)
    ]


def test_discovery_finds_every_model_with_encrypted_fields():
    found = {t.label: sorted(f.name for f in t.fields) for t in encrypted_targets()}

    assert found["accounts.PatientProfile"] == sorted(PHI)
    assert "reason" in found["consultations.Consultation"]
    assert "response_body" in found["consultations.IdempotencyRecord"]
    assert found["accounts.TOTPDevice"] == ["secret"]
    assert "accounts.User" not in found


def test_data_under_key_a_survives_rotation_to_b_and_removal_of_a(settings):
    settings.ENCRYPTION_KEY = KEY_A
    profiles = make_profiles(5)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]
    assert PatientProfile.objects.get(pk=profiles[0].pk).allergies == "allergy 0"

    output = rotate("--batch-size", "2")

    assert "accounts.PatientProfile: 5/5 scanned, 5 re-encrypted" in output
    assert key_ids("accounts_patientprofile", PHI) == {ID_B}
    settings.ENCRYPTION_KEYS_PREVIOUS = []
    for index, profile in enumerate(profiles):
        stored = PatientProfile.objects.get(pk=profile.pk)
        assert (stored.allergies, stored.medical_history) == (
            f"allergy {index}",
            f"history {index}",
        )
        assert str(stored.date_of_birth) == "1980-01-02"
    assert [p.pk for p in patient_profile_list_by_phone(phone="+919000000003")] == [profiles[3].pk]


def test_rotation_covers_other_apps_encrypted_columns(settings, slot, patient):
    from consultations.models import Consultation

    # The doctor's authenticator was stored under the suite's own key.
    suite_key = settings.ENCRYPTION_KEY
    settings.ENCRYPTION_KEY = KEY_A
    consultation = Consultation.objects.create(
        patient=patient,
        doctor=slot.doctor,
        slot=slot,
        reason="knee pain",
        meeting_token="tok-1",
    )
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A, suite_key]

    rotate()

    assert key_ids("consultations_consultation", ("reason",)) == {ID_B}
    settings.ENCRYPTION_KEYS_PREVIOUS = []
    assert Consultation.objects.get(pk=consultation.pk).reason == "knee pain"


def test_dry_run_counts_and_writes_nothing(settings):
    settings.ENCRYPTION_KEY = KEY_A
    make_profiles(3)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]

    output = rotate("--dry-run")

    assert "accounts.PatientProfile: 3/3 scanned, 3 to re-encrypt" in output
    assert "Dry run: 3 row(s) would be re-encrypted" in output
    assert key_ids("accounts_patientprofile", PHI) == {ID_A}


def test_a_second_run_rewrites_nothing(settings):
    settings.ENCRYPTION_KEY = KEY_A
    make_profiles(3)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]
    rotate()

    output = rotate()

    assert "accounts.PatientProfile: 3/3 scanned, 0 re-encrypted" in output


def test_an_interrupted_run_resumes_with_the_rows_left(settings):
    settings.ENCRYPTION_KEY = KEY_A
    profiles = make_profiles(4)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]
    # Two rows were already rewritten when the previous run stopped.
    for profile in profiles[:2]:
        for field in PHI:
            setattr(profile, field, getattr(PatientProfile.objects.get(pk=profile.pk), field))
        profile.save()

    output = rotate()

    assert "accounts.PatientProfile: 4/4 scanned, 2 re-encrypted" in output
    assert key_ids("accounts_patientprofile", PHI) == {ID_B}


def test_a_value_no_configured_key_opens_stops_the_command(settings):
    settings.ENCRYPTION_KEY = KEY_A
    make_profiles(1)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, []

    with pytest.raises(CommandError, match="cannot be decrypted"):
        rotate()

    assert key_ids("accounts_patientprofile", PHI) == {ID_A}


def test_rotation_does_not_touch_updated_at(settings):
    settings.ENCRYPTION_KEY = KEY_A
    [profile] = make_profiles(1)
    before = PatientProfile.objects.get(pk=profile.pk).updated_at
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]

    rotate()

    assert PatientProfile.objects.get(pk=profile.pk).updated_at == before


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError):
        rotate("--batch-size", "0")


def test_a_value_written_after_the_scan_is_not_overwritten(settings, monkeypatch):
    from accounts.management.commands import rotate_encryption_key as command

    settings.ENCRYPTION_KEY = KEY_A
    [profile] = make_profiles(1)
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]
    original = command.Command._rewrite

    def write_then_rewrite(self, target, pks):
        # The application saves a new value between the scan and the rewrite.
        fresh = PatientProfile.objects.get(pk=profile.pk)
        fresh.allergies = "written meanwhile"
        fresh.save(update_fields=["allergies"])
        return original(self, target, pks)

    monkeypatch.setattr(command.Command, "_rewrite", write_then_rewrite)

    rotate()

    settings.ENCRYPTION_KEYS_PREVIOUS = []
    stored = PatientProfile.objects.get(pk=profile.pk)
    assert stored.allergies == "written meanwhile"
    assert stored.medical_history == "history 0"


def test_rotation_reencrypts_totp_secrets_and_codes_still_verify(settings):
    from accounts.mfa import SecondFactor, mfa_check
    from accounts.models import TOTPDevice
    from accounts.tests.factories import totp_code, totp_enrol

    settings.ENCRYPTION_KEY = KEY_A
    user = UserFactory(role="DOCTOR", mfa=False)
    totp_enrol(user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    settings.ENCRYPTION_KEY, settings.ENCRYPTION_KEYS_PREVIOUS = KEY_B, [KEY_A]

    output = rotate()

    assert "accounts.TOTPDevice: 1/1 scanned, 1 re-encrypted" in output
    assert key_ids("accounts_totpdevice", ("secret",)) == {ID_B}
    settings.ENCRYPTION_KEYS_PREVIOUS = []
    assert TOTPDevice.objects.get(user=user).secret == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert mfa_check(user=user, factor=SecondFactor(code=totp_code(user))) == "totp"
