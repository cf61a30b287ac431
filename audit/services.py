"""Writes to the audit trail: business events and PHI reads."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("amrutam.audit")


def audit_event(
    *,
    action: str,
    object_type: str,
    object_id: Any,
    changes: dict[str, Any] | None = None,
    actor: Any = None,
) -> None:
    """Append business event `action` (e.g. "consultation.booked") to the audit trail.

    Runs inside the caller's transaction. `changes` must never hold PHI in clear.
    """
    logger.info(
        "audit_event",
        extra={"action": action, "object_type": object_type, "object_id": str(object_id)},
    )


def phi_access_record(
    *,
    action: str,
    object_type: str,
    object_id: Any,
    subject_id: Any,
    actor: Any = None,
) -> None:
    """Record that `actor` read PHI of patient `subject_id` (e.g. "consultation.viewed")."""
    logger.info(
        "phi_access",
        extra={"action": action, "object_type": object_type, "object_id": str(object_id)},
    )
