"""The acting user as the services see it.

Views hand the services `request.user`, a lazy object that only becomes the `User` row
when an attribute is read; management commands pass a `User`, and a few services accept
None for work the system does on its own. All of them need only these attributes, so
the services are typed against this Protocol rather than `accounts.models.User`, which
`common` cannot import.
"""

from __future__ import annotations

from typing import Any, Protocol


class Actor(Protocol):
    """Whoever a service acts for: the id, the role and whether the account is active."""

    @property
    def pk(self) -> Any: ...

    @property
    def role(self) -> str: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_authenticated(self) -> bool: ...
