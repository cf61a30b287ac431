"""The OpenAPI declarations of the consent endpoints (consent/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from amrutam.common.contract.openapi import envelope, error_responses

from .serializers import ConsentCreateInputSerializer, ConsentOutputSerializer

TAGS = ["consent"]
HISTORY = (
    "Records are never changed: a withdrawal is a new record (`granted` false) and the "
    "withdrawn grant gains `withdrawnAt`. The newest record of a purpose is in force. "
    "Patients only."
)
ConsentEnvelope = envelope("ConsentEnvelope", {"consent": ConsentOutputSerializer()})
ConsentListEnvelope = envelope(
    "ConsentListEnvelope", {"consents": ConsentOutputSerializer(many=True)}
)

consent_list = extend_schema(
    tags=TAGS,
    operation_id="auth_me_consents_list",
    summary="The caller's consent records, newest first",
    description=HISTORY,
    responses={200: ConsentListEnvelope, **error_responses(401, 403, 503)},
)

consent_create = extend_schema(
    tags=TAGS,
    operation_id="auth_me_consents_create",
    summary="Grant or refuse consent to a purpose",
    description=(
        "Purposes: `telemedicine` (without it, once withdrawn, bookings answer 409 "
        "`consent_withdrawn`), `data_sharing`, `reminders` (withdrawn: no reminders). "
        "`noticeVersion` defaults to the current notice (CONSENT_NOTICE_VERSION). " + HISTORY
    ),
    request=ConsentCreateInputSerializer,
    responses={201: ConsentEnvelope, **error_responses(400, 401, 403, 413, 503)},
)

consent_withdraw = extend_schema(
    tags=TAGS,
    operation_id="auth_me_consents_withdraw",
    summary="Withdraw a grant of consent",
    description=(
        "Answers the withdrawn grant, now with `withdrawnAt`. Withdrawing a refusal or an "
        "already withdrawn grant is 409 `invalid_state`; another patient's record is 404. "
        + HISTORY
    ),
    request=None,
    responses={
        200: ConsentEnvelope,
        **error_responses(
            401, 403, 404, 409, 503, s409="`invalid_state`: not a grant, or already withdrawn."
        ),
    },
)
