"""Per-user authentication state (active, role, token version), cached for the JWT check.

The JWT check reads this instead of the user row, so an authenticated request costs
one cache read and no query. Writers publish the committed state after commit and
readers only ever *add* a missing entry, so a reader that loaded an older row just
before a change can never overwrite the newer state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("amrutam.auth")


@dataclass(frozen=True)
class AuthState:
    is_active: bool
    role: str
    token_version: int


def _key(user_id: Any) -> str:
    return f"auth:state:{user_id}"


def _encode(state: AuthState) -> str:
    return f"{int(state.is_active)}|{state.role}|{state.token_version}"


def _decode(raw: Any) -> AuthState | None:
    try:
        active, role, version = str(raw).split("|")
        return AuthState(is_active=active == "1", role=role, token_version=int(version))
    except ValueError:
        return None


def _timeout() -> int:
    return int(getattr(settings, "AUTH_STATE_CACHE_SECONDS", 300))


def auth_state_from_db(user_id: Any) -> AuthState | None:
    from accounts.models import User

    row = User.objects.filter(pk=user_id).values_list("is_active", "role", "token_version").first()
    if row is None:
        return None
    return AuthState(is_active=row[0], role=row[1], token_version=row[2])


def auth_state_get(user_id: Any) -> AuthState | None:
    """The user's state from the cache, else from the database (None: no such user)."""
    try:
        raw = cache.get(_key(user_id))
    except Exception:  # a lost Redis costs a query per request, never a wrong answer
        logger.warning("auth_state_cache_unavailable", exc_info=True)
        return auth_state_from_db(user_id)
    state = _decode(raw) if raw is not None else None
    if state is not None:
        return state
    state = auth_state_from_db(user_id)
    if state is not None:
        try:
            cache.add(_key(user_id), _encode(state), timeout=_timeout())
        except Exception:
            logger.warning("auth_state_cache_unavailable", exc_info=True)
    return state


def _publish(user_id: Any) -> None:
    # Runs after the change has committed: whatever fails here (the database read as
    # much as Redis) must not turn the committed change into an error response.
    try:
        state = auth_state_from_db(user_id)
        if state is None:
            cache.delete(_key(user_id))
        else:
            cache.set(_key(user_id), _encode(state), timeout=_timeout())
    except Exception:
        # The entry expires after AUTH_STATE_CACHE_SECONDS at the latest.
        logger.error("auth_state_publish_failed", extra={"user_id": str(user_id)}, exc_info=True)


def auth_state_changed(user_id: Any) -> None:
    """Drop the cached state now; publish the committed state once the transaction commits."""
    try:
        cache.delete(_key(user_id))
    except Exception:
        logger.warning("auth_state_cache_unavailable", exc_info=True)
    transaction.on_commit(lambda: _publish(user_id))


def user_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """post_save of User: republish the state when a saved column is one it mirrors."""
    # Not a business rule: the cache mirrors these columns, so whatever path saves
    # them keeps it coherent. QuerySet.update() sends no signal; deactivate through
    # accounts.services.user_deactivate.
    if not created and (update_fields is None or sender.AUTH_STATE_FIELDS & set(update_fields)):
        auth_state_changed(instance.pk)


def user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_delete of User: the cached state goes with the row."""
    auth_state_changed(instance.pk)
