"""JWT authentication without a user query: a bad, expired or revoked token is a 401.

The token's signature and expiry are checked locally; whether it is still honoured
(user active, same role, same token version) comes from the cached auth state. The
view receives a lazy user: its id, role and activity are known from the token and
the state, and the row is loaded only if a view or service touches anything else.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.functional import SimpleLazyObject
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts.auth_state import AuthState, auth_state_get
from accounts.tokens import ROLE_CLAIM, VERSION_CLAIM


class AuthenticatedUser(SimpleLazyObject):
    """A `User` that loads its row on first use of anything but id, role and activity.

    It passes `isinstance(x, User)`, equals the `User` with its id, and can be assigned
    to foreign keys (that loads it).
    """

    def __init__(self, user_id: uuid.UUID, state: AuthState) -> None:
        def load() -> Any:
            from accounts.selectors import user_get

            return user_get(pk=user_id)

        super().__init__(load)
        # LazyObject forwards attribute writes to the wrapped object, which would load
        # it; these two live on the proxy itself.
        self.__dict__["_auth_user_id"] = user_id
        self.__dict__["_auth_state"] = state

    @property
    def pk(self) -> uuid.UUID:
        return self.__dict__["_auth_user_id"]

    @property
    def id(self) -> uuid.UUID:
        return self.__dict__["_auth_user_id"]

    @property
    def role(self) -> str:
        return self.__dict__["_auth_state"].role

    @property
    def is_active(self) -> bool:
        return self.__dict__["_auth_state"].is_active

    @property
    def token_version(self) -> int:
        return self.__dict__["_auth_state"].token_version

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def __bool__(self) -> bool:
        return True

    # The class is known without the row, so isinstance() checks (audit helpers,
    # foreign-key assignment) and comparisons with users cost no query.
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        from accounts.models import User

        return User

    @property
    def _meta(self) -> Any:
        from accounts.models import User

        return User._meta

    def __eq__(self, other: object) -> bool:
        from accounts.models import User

        if isinstance(other, User):
            return other.pk == self.pk
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.pk)

    # SimpleLazyObject copies itself by calling type(self)(setupfunc), which this
    # constructor does not take.
    def __copy__(self) -> AuthenticatedUser:
        return AuthenticatedUser(self.pk, self.__dict__["_auth_state"])

    def __deepcopy__(self, memo: dict[int, Any]) -> AuthenticatedUser:
        clone = AuthenticatedUser(self.pk, self.__dict__["_auth_state"])
        memo[id(self)] = clone
        return clone


class JWTAuthentication(BaseJWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        sub = validated_token.get("sub")
        role = validated_token.get(ROLE_CLAIM)
        version = validated_token.get(VERSION_CLAIM)
        try:
            user_id = uuid.UUID(sub) if isinstance(sub, str) else None
        except ValueError:
            user_id = None
        if user_id is None or not isinstance(role, str) or type(version) is not int:
            raise InvalidToken("Token is invalid or revoked.")
        state = auth_state_get(user_id)
        if (
            state is None
            or not state.is_active
            or state.role != role
            or state.token_version != version
        ):
            raise InvalidToken("Token is invalid or revoked.")
        return AuthenticatedUser(user_id, state)
