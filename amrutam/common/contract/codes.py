"""Stable error codes on the wire: per DRF exception, and per bare HTTP status."""

from __future__ import annotations

from rest_framework import exceptions

VALIDATION_ERROR = "validation_error"

# DRF exception class -> stable code on the wire.
DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "token_invalid",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: VALIDATION_ERROR,
    exceptions.ValidationError: VALIDATION_ERROR,
}

# Bare HTTP status (a Django 404 page, a 405 outside DRF) -> code and message.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
    500: "internal_error",
}
STATUS_MESSAGES: dict[int, str] = {
    400: "Bad request.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "An unexpected error occurred.",
}
DEFAULT_MESSAGE = "The request could not be processed."


def code_for_status(status: int) -> str:
    return STATUS_CODES.get(status, "error" if status >= 500 else "bad_request")


def message_for_status(status: int) -> str:
    return STATUS_MESSAGES.get(status, DEFAULT_MESSAGE)
