"""Which database constraint an IntegrityError names, so each one maps to its own answer."""

from __future__ import annotations

from django.db import IntegrityError


def violated_constraint(exc: IntegrityError) -> str | None:
    """The constraint name PostgreSQL reports for `exc`; None when the driver gives none.

    SQLite (the embedded trial default) names columns, not constraints, so callers treat
    None as "the one constraint this statement could break".
    """
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def is_violation_of(exc: IntegrityError, constraint: str) -> bool:
    name = violated_constraint(exc)
    return name is None or name == constraint
