"""Consent endpoints: the caller's records, new grants or refusals, withdrawals."""

from __future__ import annotations

import uuid

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from amrutam.common.contract.envelope import success
from amrutam.common.drf.validation import validated
from amrutam.common.exceptions import PermissionDenied
from amrutam.common.middleware import client_ip

from . import openapi as doc
from .selectors import consent_list
from .serializers import ConsentCreateInputSerializer, ConsentOutputSerializer
from .services import consent_record, consent_withdraw


def _require_patient(request: Request) -> None:
    if request.user.role != Role.PATIENT:
        raise PermissionDenied("Only patients hold consent records.")


class ConsentListCreateApi(APIView):
    @doc.consent_list
    def get(self, request: Request) -> Response:
        _require_patient(request)
        records = consent_list(user_id=request.user.pk)
        return success({"consents": ConsentOutputSerializer(records, many=True).data})

    @doc.consent_create
    def post(self, request: Request) -> Response:
        _require_patient(request)
        data = validated(ConsentCreateInputSerializer, request.data)
        record = consent_record(user=request.user, ip=client_ip(request), **data)
        return success({"consent": ConsentOutputSerializer(record).data}, status=201)


class ConsentWithdrawApi(APIView):
    @doc.consent_withdraw
    def post(self, request: Request, consent_id: uuid.UUID) -> Response:
        _require_patient(request)
        record = consent_withdraw(user=request.user, consent_id=consent_id, ip=client_ip(request))
        return success({"consent": ConsentOutputSerializer(record).data})
