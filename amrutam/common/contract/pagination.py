"""`?page=1&pageSize=20` (at most 100), answered as `{"<items>": [...], "pagination": {...}}`."""

from __future__ import annotations

import math
from typing import Any

from django.core.paginator import Paginator
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .envelope import success

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


class PaginationParamsSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    pageSize = serializers.IntegerField(  # noqa: N815
        min_value=1, max_value=MAX_PAGE_SIZE, required=False
    )


class Pagination(PageNumberPagination):
    """DRF's page-number pagination with the contract's parameters and body.

    The list's name comes from the view's `list_name` (e.g. "doctors").
    `paginate_queryset` is the contract's own: DRF answers a page past the end with 404
    and clamps a bad `pageSize`, where API.md wants an empty page and 400.
    """

    page_query_param = "page"
    page_size_query_param = "pageSize"
    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        params = PaginationParamsSerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        self.page_number = params.validated_data.get(self.page_query_param, 1)
        self.page_size_value = params.validated_data.get(self.page_size_query_param, PAGE_SIZE)
        self.total = Paginator(queryset, self.page_size_value).count
        self.list_name = getattr(view, "list_name", "results")
        start = (self.page_number - 1) * self.page_size_value
        return list(queryset[start : start + self.page_size_value])

    def pagination_data(self) -> dict[str, int]:
        return {
            "page": self.page_number,
            "pageSize": self.page_size_value,
            "total": self.total,
            "totalPages": math.ceil(self.total / self.page_size_value) if self.total else 0,
        }

    def get_paginated_response(self, data: Any) -> Response:
        return success({self.list_name: data, "pagination": self.pagination_data()})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["status", "data"],
            "properties": {
                "status": {"type": "string", "enum": ["success"]},
                "data": {
                    "type": "object",
                    "properties": {
                        "items": schema,
                        "pagination": {
                            "type": "object",
                            "properties": {
                                "page": {"type": "integer"},
                                "pageSize": {"type": "integer"},
                                "total": {"type": "integer"},
                                "totalPages": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": PAGE_SIZE,
                },
            },
        ]
