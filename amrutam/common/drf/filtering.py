"""Apply a django-filter FilterSet to values the view's serializer has validated.

The serializer validates the query string (so bad input gets the contract's messages,
cross-field checks included); the FilterSet declares how each value narrows the
queryset. Values are already valid, so an invalid form is a programming error, still
answered as the 400 envelope rather than a silently unfiltered list.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django_filters import FilterSet
from rest_framework import exceptions

M = TypeVar("M", bound=Model)


def filtered(
    filterset_class: type[FilterSet], values: dict[str, Any], queryset: QuerySet[M], **kwargs: Any
) -> QuerySet[M]:
    """`queryset` narrowed by `values` (filter name -> validated value; None = no filter)."""
    data = {name: value for name, value in values.items() if value is not None}
    filterset = filterset_class(data, queryset=queryset, **kwargs)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs
