"""Domain errors of the accounts app, each with a stable code."""

from amrutam.common.exceptions import ApplicationError, Conflict, ValidationFailed


class InvalidCredentials(ApplicationError):
    status_code = 401
    code = "invalid_credentials"
    message = "The email or password is incorrect."


class TokenInvalid(ApplicationError):
    status_code = 401
    code = "token_invalid"
    message = "The token is invalid, expired or revoked."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class CurrentPasswordIncorrect(ValidationFailed):
    """A wrong `currentPassword` is a field that fails validation: API.md's 400
    `validation_error` with `errors.currentPassword` (the table has no code of its own
    for it, and clients already handle the field error)."""

    def __init__(self) -> None:
        super().__init__(errors={"currentPassword": ["The current password is incorrect."]})
