"""Validate a body or query with a serializer, or raise the 400 envelope."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, serializers


def validated(
    serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any
) -> dict[str, Any]:
    """Validate `data` with `serializer_class`; raise the 400 envelope on failure."""
    if data is None or not hasattr(data, "get"):
        raise exceptions.ValidationError({"nonFieldErrors": ["Expected a JSON object."]})
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
