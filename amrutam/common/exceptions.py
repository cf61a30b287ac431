"""ApplicationError: the base of every domain error, with a stable code and status."""

from typing import Any


class ApplicationError(Exception):
    """A domain rule refused the request; rendered as the API's error envelope."""

    status_code = 400
    code = "bad_request"
    message = "The request cannot be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.message
        self.errors = errors
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "validation_error"
    message = "Some fields are invalid."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    message = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class InvalidState(Conflict):
    code = "invalid_state"
    message = "This action is not allowed in the object's current state."


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable. Try again shortly."
