"""Who is acting, from where, under which request id: carried to every audit write."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class AuditContext:
    actor_id: str | None = None
    actor_role: str | None = None
    actor_label: str | None = None
    ip: str | None = None
    request_id: str | None = None


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context",
    default=AuditContext(),  # noqa: B039 - frozen dataclass, never mutated
)


def current() -> AuditContext:
    return _current.get()


def bind(**values: Any) -> contextvars.Token[AuditContext]:
    """Set fields of the current context; returns a token for `reset`."""
    return _current.set(replace(_current.get(), **values))


def reset(token: contextvars.Token[AuditContext]) -> None:
    _current.reset(token)


def bind_user(user: Any) -> None:
    """Name `user` as the actor of what follows (called once the JWT is verified)."""
    if user is not None and getattr(user, "is_authenticated", False):
        bind(actor_id=str(user.pk), actor_role=getattr(user, "role", None))


@contextmanager
def audit_actor(*, label: str, user: Any = None) -> Iterator[None]:
    """Run a block (a management command, a task) under an explicit actor."""
    token = bind(
        actor_label=label,
        actor_id=str(user.pk) if user is not None else None,
        actor_role=getattr(user, "role", None),
    )
    try:
        yield
    finally:
        reset(token)
