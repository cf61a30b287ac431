"""JWT authentication without a user query: a bad, expired or revoked token is a 401.

The token's signature and expiry are checked locally (a token whose exact bytes were
verified before skips the signature check, never the expiry check); whether it is still
honoured (user active, same role, same token version) comes from the cached auth state. The
view receives a lazy user: its id, role and activity are known from the token and
the state, and the row is loaded only if a view or service touches anything else.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.functional import SimpleLazyObject
from rest_framework.exceptions import APIException
from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.auth_state import AuthState, auth_state_get
from accounts.tokens import ROLE_CLAIM, VERSION_CLAIM

# Attributes the ORM looks for on lookup values, which no model instance has.
_NEVER_ON_A_USER = frozenset({"resolve_expression", "get_source_expressions"})


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
    def mfa_enabled(self) -> bool:
        return self.__dict__["_auth_state"].mfa_enabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def __bool__(self) -> bool:
        return True

    def _is_pk_set(self) -> bool:  # Model API the ORM calls on lookup values
        return True

    def __getattr__(self, name: str) -> Any:
        # The ORM probes every filter value for expression methods (hasattr);
        # a User never has one, so `filter(user=request.user)` costs no user query.
        if name in _NEVER_ON_A_USER:
            raise AttributeError(name)
        return super().__getattr__(name)

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


# Access tokens verified in this process, by their exact bytes. Verifying the signature
# again would give the same answer for the same bytes and key; what can change (expiry,
# revocation, deactivation) is checked on every request all the same.
VERIFIED_TOKENS = 4096


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def _verified_token(raw_token: bytes) -> Any:
    # Only a token that passed every check is cached: an exception caches nothing.
    # The base method uses nothing of its instance.
    return BaseJWTAuthentication.get_validated_token(None, raw_token)  # type: ignore[arg-type]


def _forget_tokens(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SIMPLE_JWT", "JWT_SECRET"):
        _verified_token.cache_clear()


setting_changed.connect(_forget_tokens, dispatch_uid="accounts_forget_verified_tokens")


class MFAEnrollmentRequired(APIException):
    status_code = 403
    default_code = "mfa_enrollment_required"
    default_detail = (
        "Your role must use multi-factor authentication: enrol an authenticator with "
        "POST /api/v1/auth/mfa/totp/setup first."
    )


class JWTAuthentication(BaseJWTAuthentication):
    """Bearer-token authentication; also holds MFA_REQUIRED_ROLES to their enrolment.

    The enrolment check sits here, where every authenticated API request passes, so
    that no view can forget it. Views a user must reach to enrol (their account, the
    MFA endpoints, logout) set `mfa_enrollment_exempt = True`.
    """

    def authenticate(self, request: Any) -> Any:
        result = super().authenticate(request)
        if result is not None:
            user: Any = result[0]
            if user.role in settings.MFA_REQUIRED_ROLES and not user.mfa_enabled:
                view = (getattr(request, "parser_context", None) or {}).get("view")
                if not getattr(view, "mfa_enrollment_exempt", False):
                    raise MFAEnrollmentRequired()
        return result

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = _verified_token(bytes(raw_token))
        try:
            token.check_exp()
        except TokenError:
            # Expired since it was cached: the full check answers with its own error.
            return super().get_validated_token(raw_token)
        return token

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
