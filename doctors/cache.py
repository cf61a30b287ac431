"""Versioned cache keys for a doctor's availability, bumped when a change commits.

Readers build their key from the doctor's current version, so one increment makes
every cached window of that doctor unreachable at once, whatever its dates.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("amrutam.cache")

VERSION_TTL = 7 * 24 * 3600


def version_key(doctor_id: Any) -> str:
    return f"avail:ver:{doctor_id}"


def availability_version(doctor_id: Any) -> int | None:
    """The doctor's current availability version, or None when the cache is down."""
    try:
        version = cache.get(version_key(doctor_id))
        if version is None:
            cache.add(version_key(doctor_id), 1, timeout=VERSION_TTL)
            version = cache.get(version_key(doctor_id)) or 1
        return int(version)
    except Exception:  # a lost Redis costs speed, never correctness
        logger.warning("availability_cache_unavailable", exc_info=True)
        return None


def _bump(doctor_id: Any) -> None:
    key = version_key(doctor_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet: start one above any reader's default
            cache.set(key, 2, timeout=VERSION_TTL)
    except Exception:
        logger.warning("availability_cache_invalidate_failed", exc_info=True)


def invalidate_availability(doctor_id: Any) -> None:
    """Make the doctor's cached availability stale once the current transaction commits."""
    transaction.on_commit(lambda: _bump(doctor_id))
