"""Errors of payments (stable codes of API.md)."""

from amrutam.common.exceptions import ApplicationError, Conflict


class PaymentSignatureInvalid(ApplicationError):
    status_code = 400
    code = "payment_signature_invalid"
    message = "The payment signature does not match this consultation's order."


class WebhookSignatureInvalid(ApplicationError):
    status_code = 400
    code = "webhook_signature_invalid"
    message = "The webhook signature is missing or does not match the body."


class PaymentExpired(Conflict):
    code = "payment_expired"
    message = "The payment hold has expired; any amount captured is refunded."


class PaymentMismatch(Conflict):
    code = "payment_mismatch"
    message = "The gateway's payment does not match this consultation's amount or order."
