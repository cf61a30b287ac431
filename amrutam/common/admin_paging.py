"""Back-office change lists of tables that grow without end: a count that stops reading.

Django's change list counts every matching row to number its pages (and, unless
`show_full_result_count` is off, the whole table once more). On the audit trail that is
millions of rows on every page view. Here the count reads at most COUNT_AHEAD_PAGES
pages past the one shown: the page links reach that far, and the next links move on.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest

from .contract.pagination import COUNT_AHEAD_PAGES, bounded_count


class BoundedPaginator(Paginator):
    """A paginator whose `count` reads at most COUNT_AHEAD_PAGES pages past `page`."""

    def __init__(self, object_list: Any, per_page: int, *args: Any, page: int = 1, **kwargs: Any):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.requested_page = page
        self.count_is_exact = True

    @cached_property
    def count(self) -> int:
        bound = (self.requested_page + COUNT_AHEAD_PAGES) * int(self.per_page)
        counted, self.count_is_exact = bounded_count(self.object_list, bound)
        return counted


class BoundedCountAdminMixin:
    """Put in the bases of a ModelAdmin whose table grows without end."""

    show_full_result_count = False

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> BoundedPaginator:
        try:
            page = max(int(request.GET.get("p", 1)), 1)
        except ValueError:
            page = 1
        return BoundedPaginator(queryset, per_page, orphans, allow_empty_first_page, page=page)
