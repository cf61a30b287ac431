"""`?page=1&pageSize=20` (at most 100), answered as `{"<items>": [...], "pagination": {...}}`.

`BoundedPagination`, for the lists that grow without end, counts a bounded number of
rows (`totalIsEstimate`) and offers keyset paging (`nextCursor`, `?cursor=`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from amrutam.common.openapi_rules import PAGE_PARAMETER_SCHEMAS

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

    def read_params(self, request: Any, view: Any) -> None:
        """`page`, `pageSize` and the list's name, or a 400 for a bad parameter."""
        params = PaginationParamsSerializer(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        self.page_number = params.validated_data.get(self.page_query_param, 1)
        self.page_size_value = params.validated_data.get(self.page_size_query_param, PAGE_SIZE)
        self.list_name = getattr(view, "list_name", "results")

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.read_params(request, view)
        self.total = Paginator(queryset, self.page_size_value).count
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
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
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


# A bounded list counts at most this many pages past the one asked for.
COUNT_AHEAD_PAGES = 10
MAX_CURSOR_LENGTH = 500


def bounded_count(queryset: Any, bound: int) -> tuple[int, bool]:
    """How many rows `queryset` has, reading at most `bound` + 1 of them.

    Returns (count, exact). Past `bound` the count is `bound`, a lower bound: an exact
    count of a table of millions of rows reads all of them (seconds, on every page).
    """
    counted = queryset[: bound + 1].count()
    if counted > bound:
        return bound, False
    return counted, True


class InvalidCursor(Exception):
    pass


def _field(model: Any, path: str) -> Any:
    """The model field a lookup path (`slot__start_time`) ends at."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


class BoundedPagination(Pagination):
    """The contract's `page`/`pageSize`, for lists that grow without end (the audit
    trail, the access log, consultations, payments), plus keyset paging.

    - `total` is exact up to COUNT_AHEAD_PAGES pages past the asked page; beyond that it
      is that lower bound and `totalIsEstimate` is true (`totalPages` likewise).
    - `nextCursor` (null on the last page) names the last row of the page; sent back as
      `?cursor=`, it answers the rows after that row, found through the ordering's index,
      so every page costs the same however deep into the list it is. `page` is then
      echoed, not used to choose rows.

    The view's `cursor_fields` is its ordering, descending, ending in a unique field
    (e.g. `("-slot__start_time", "-id")`); the list is ordered by it here.
    """

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        self.read_params(request, view)
        self.fields: tuple[str, ...] = tuple(view.cursor_fields)
        queryset = queryset.order_by(*self.fields)
        raw_cursor = request.query_params.get(self.cursor_query_param)
        size = self.page_size_value
        if raw_cursor is not None:
            try:
                after = self._decode(queryset.model, raw_cursor)
            except InvalidCursor:
                raise exceptions.ValidationError(
                    {self.cursor_query_param: ["Not a cursor this list gave out."]}
                ) from None
            rows = list(queryset.filter(self._after_q(after))[: size + 1])
            bound = COUNT_AHEAD_PAGES * size
        else:
            start = (self.page_number - 1) * size
            rows = list(queryset[start : start + size + 1])
            bound = start + (COUNT_AHEAD_PAGES + 1) * size
        self.total, exact = bounded_count(queryset, bound)
        self.total_is_estimate = not exact
        page, more = rows[:size], len(rows) > size
        self.next_cursor = self._encode(page[-1]) if more else None
        return page

    def pagination_data(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(super().pagination_data())
        data["totalIsEstimate"] = self.total_is_estimate
        data["nextCursor"] = self.next_cursor
        return data

    # Cursors: base64url of the JSON list of the last row's ordering values.

    def _values(self, row: Any) -> list[Any]:
        values = []
        for spec in self.fields:
            value: Any = row
            for part in spec.lstrip("-").split("__"):
                value = getattr(value, part)
            values.append(value)
        return values

    def _encode(self, row: Any) -> str:
        # Times keep their microseconds (DjangoJSONEncoder would cut them to
        # milliseconds, and rows within one millisecond would be skipped).
        values = [v.isoformat() if isinstance(v, dt.datetime) else v for v in self._values(row)]
        text = json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _decode(self, model: Any, cursor: str) -> list[Any]:
        if not 0 < len(cursor) <= MAX_CURSOR_LENGTH:
            raise InvalidCursor
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (ValueError, UnicodeError) as exc:
            raise InvalidCursor from exc
        if not isinstance(values, list) or len(values) != len(self.fields):
            raise InvalidCursor
        try:
            # clean(): the field's type and its validators (an id within the column's range).
            return [
                _field(model, spec.lstrip("-")).clean(value, None)
                for spec, value in zip(self.fields, values, strict=True)
            ]
        except (DjangoValidationError, TypeError, ValueError, OverflowError) as exc:
            raise InvalidCursor from exc

    def _after_q(self, values: list[Any]) -> Q:
        """Rows after the one whose ordering values are `values`, in this order.

        For (a desc, b desc): a <= x AND (a < x OR (a = x AND b < y)). The first term
        repeats the leading column alone, so the planner walks the index from there.
        """
        paths = [spec.lstrip("-") for spec in self.fields]
        ops = ["lt" if spec.startswith("-") else "gt" for spec in self.fields]
        after = Q()
        for i in range(len(paths)):
            step = Q(**{f"{paths[j]}": values[j] for j in range(i)})
            step &= Q(**{f"{paths[i]}__{ops[i]}": values[i]})
            after |= step
        leading = Q(**{f"{paths[0]}__{ops[0]}e": values[0]})
        return leading & after if len(paths) > 1 else after

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "schema": PAGE_PARAMETER_SCHEMAS["cursor"],
            },
        ]
