"""The JWT check: no query on a warm cache, and revocation that takes effect at once."""

import pytest
from django.core.cache import cache
from django.db import connection

from accounts.auth_state import auth_state_get
from accounts.authentication import AuthenticatedUser
from accounts.models import User
from accounts.services import user_deactivate, user_reactivate
from accounts.tests.conftest import bearer

WHOAMI = "/api/v1/test/whoami"
pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.urls")]


def test_authenticated_request_makes_no_query_when_the_cache_is_warm(
    api_client, patient, token_for, django_assert_num_queries
):
    headers = bearer(token_for(patient))
    api_client.get(WHOAMI, **headers)

    with django_assert_num_queries(0):
        response = api_client.get(WHOAMI, **headers)

    assert response.status_code == 200
    assert response.json()["data"] == {"id": str(patient.pk), "role": "PATIENT", "active": True}


def test_a_cold_cache_costs_one_query_and_fills_the_cache(
    api_client, patient, token_for, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = api_client.get(WHOAMI, **bearer(token_for(patient)))

    assert response.status_code == 200
    assert cache.get(f"auth:state:{patient.pk}") == "1|PATIENT|0|0"


def test_a_down_cache_falls_back_to_the_database(api_client, patient, token_for, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    response = api_client.get(WHOAMI, **bearer(token_for(patient)))

    assert response.status_code == 200
    assert "auth_state_cache_unavailable" in caplog.messages


def test_a_down_cache_still_sees_a_deactivation(api_client, patient, token_for, settings):
    headers = bearer(token_for(patient))
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    User.objects.filter(pk=patient.pk).update(is_active=False)

    assert api_client.get(WHOAMI, **headers).status_code == 401


def test_deactivation_makes_existing_tokens_fail_at_once(
    api_client, patient, token_for, admin_user, django_capture_on_commit_callbacks
):
    headers = bearer(token_for(patient))
    assert api_client.get(WHOAMI, **headers).status_code == 200  # state now cached

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=patient, deactivated_by=admin_user)
    response = api_client.get(WHOAMI, **headers)

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    assert cache.get(f"auth:state:{patient.pk}") == "0|PATIENT|1|0"


def test_reactivation_does_not_revive_tokens_issued_before_deactivation(
    api_client, patient, token_for, admin_user
):
    headers = bearer(token_for(patient))
    user_deactivate(user=patient, deactivated_by=admin_user)
    reactivated = user_reactivate(user=patient, reactivated_by=admin_user)

    old = api_client.get(WHOAMI, **headers)
    new = api_client.get(WHOAMI, **bearer(token_for(reactivated)))

    assert old.status_code == 401
    assert new.status_code == 200


def test_deactivation_saved_directly_also_invalidates_the_cached_state(
    api_client, patient, token_for
):
    headers = bearer(token_for(patient))
    assert api_client.get(WHOAMI, **headers).status_code == 200

    fresh = User.objects.get(pk=patient.pk)
    fresh.is_active = False
    fresh.save()

    assert api_client.get(WHOAMI, **headers).status_code == 401


def test_a_role_change_makes_old_tokens_fail(api_client, patient, token_for):
    headers = bearer(token_for(patient))
    assert api_client.get(WHOAMI, **headers).status_code == 200

    patient.role = "DOCTOR"
    patient.save()

    assert api_client.get(WHOAMI, **headers).status_code == 401


def test_saving_other_fields_keeps_the_cached_state(api_client, patient, token_for):
    api_client.get(WHOAMI, **bearer(token_for(patient)))

    patient.name = "Renamed"
    patient.save(update_fields=["name"])

    assert cache.get(f"auth:state:{patient.pk}") == "1|PATIENT|0|0"


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_loaded_the_old_row_cannot_overwrite_a_published_change(make_user):
    from accounts import auth_state

    user = make_user()
    old = auth_state.auth_state_from_db(user.pk)
    User.objects.filter(pk=user.pk).update(is_active=False)
    auth_state._publish(user.pk)  # what the deactivating transaction does on commit

    # The late reader may only add a missing entry; the published state stays.
    cache.add(auth_state._key(user.pk), auth_state._encode(old), timeout=60)

    assert auth_state_get(user.pk).is_active is False
    connection.close()


def test_lazy_user_loads_the_row_only_when_needed(patient, django_assert_num_queries):
    state = auth_state_get(patient.pk)
    lazy = AuthenticatedUser(patient.pk, state)

    with django_assert_num_queries(0):
        assert (lazy.pk, lazy.id, lazy.role, lazy.is_active) == (
            patient.pk,
            patient.pk,
            "PATIENT",
            True,
        )
        assert lazy.is_authenticated and not lazy.is_anonymous and bool(lazy)
    with django_assert_num_queries(1):
        assert lazy.email == patient.email


def test_lazy_user_can_be_assigned_to_a_foreign_key(patient):
    from accounts.models import PatientProfile

    lazy = AuthenticatedUser(patient.pk, auth_state_get(patient.pk))

    profile = PatientProfile.objects.create(user=lazy)

    assert isinstance(lazy, User)
    assert PatientProfile.objects.get(pk=profile.pk).user_id == patient.pk


def test_lazy_user_copies_without_loading(patient, django_assert_num_queries):
    import copy

    lazy = AuthenticatedUser(patient.pk, auth_state_get(patient.pk))

    with django_assert_num_queries(0):
        clone = copy.copy(lazy)
        deep = copy.deepcopy(lazy)

    assert clone.pk == deep.pk == patient.pk


def test_lazy_user_type_checks_and_comparisons_cost_no_query(patient, django_assert_num_queries):
    lazy = AuthenticatedUser(patient.pk, auth_state_get(patient.pk))
    other = AuthenticatedUser(patient.pk, auth_state_get(patient.pk))

    with django_assert_num_queries(0):
        assert isinstance(lazy, User)
        assert not isinstance(lazy, str)
        assert lazy == patient
        assert patient == lazy
        assert lazy == other
        assert lazy != User(pk=None)
        assert hash(lazy) == hash(patient)
        assert {lazy: 1}[patient] == 1


def test_audit_actor_of_a_lazy_user_costs_no_query(patient, django_assert_num_queries):
    from audit.context import resolve_actor

    lazy = AuthenticatedUser(patient.pk, auth_state_get(patient.pk))

    with django_assert_num_queries(0):
        actor = resolve_actor(lazy)

    assert (actor.id, actor.role) == (str(patient.pk), "PATIENT")
