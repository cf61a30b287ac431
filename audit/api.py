"""HTTP endpoints: the audit log (admins) and the own access report."""

from __future__ import annotations

from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from amrutam.common.contract.pagination import BoundedPagination
from amrutam.common.drf.validation import validated
from amrutam.common.permissions import IsAdmin as IsClinicAdmin

from . import openapi as doc
from .selectors import access_log_list, audit_entry_list
from .serializers import (
    AccessLogOutputSerializer,
    AuditLogFilterSerializer,
    AuditLogOutputSerializer,
)


class AuditLogListApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsClinicAdmin]
    list_name = "logs"
    pagination_class = BoundedPagination
    cursor_fields = ("-id",)

    @doc.audit_log_list
    def get(self, request: Request) -> Response:
        params = validated(AuditLogFilterSerializer, request.query_params)
        entries = audit_entry_list(
            actor_id=params.get("actor"),
            action=params.get("action"),
            object_type=params.get("objectType"),
            object_id=params.get("objectId"),
            since=params["since"],
            until=params["until"],
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditLogOutputSerializer(page, many=True).data)


class MyAccessLogApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    list_name = "entries"
    pagination_class = BoundedPagination
    cursor_fields = ("-id",)

    @doc.my_access_log
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(access_log_list(user_id=request.user.pk))
        return self.get_paginated_response(AccessLogOutputSerializer(page, many=True).data)
