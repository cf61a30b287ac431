"""Who is acting, from where, under which request id: carried to every audit write."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from amrutam.common.typing import Actor as ActingUser

SYSTEM = "system"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class AuditContext:
    actor_id: str | None = None
    actor_role: str | None = None
    actor_label: str | None = None
    ip: str | None = None
    request_id: str | None = None
    # The Django request being served. Its `user` is read when an entry is written,
    # not when the request starts: DRF authenticates the JWT inside the view and then
    # sets `user` on this very object, and the back office's session user is there too.
    request: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Actor:
    """Who an entry names: a user (id and role) or, without one, a label."""

    id: str | None = None
    role: str = ""
    label: str = ""


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


def bind_user(user: ActingUser | None) -> None:
    """Name `user` as the actor of what follows (called once the JWT is verified)."""
    if user is not None and getattr(user, "is_authenticated", False):
        bind(actor_id=str(user.pk), actor_role=getattr(user, "role", None))


@contextmanager
def audit_actor(*, label: str, user: ActingUser | None = None) -> Iterator[None]:
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


def _user_actor(user: Any) -> Actor | None:
    if user is not None and getattr(user, "is_authenticated", False):
        return Actor(id=str(user.pk), role=getattr(user, "role", "") or "")
    return None


def resolve_actor(explicit: Any = None) -> Actor:
    """The actor of an entry: `explicit` (a user or a label), else the bound actor,
    else the request's authenticated user, else "anonymous" in a request or "system"."""
    if isinstance(explicit, str) and explicit:
        return Actor(label=explicit)
    found = _user_actor(explicit)
    if found is not None:
        return found
    ctx = current()
    if ctx.actor_id or ctx.actor_label:
        return Actor(id=ctx.actor_id, role=ctx.actor_role or "", label=ctx.actor_label or "")
    if ctx.request is not None:
        found = _user_actor(getattr(ctx.request, "user", None))
        return found or Actor(label=ANONYMOUS)
    return Actor(label=SYSTEM)
