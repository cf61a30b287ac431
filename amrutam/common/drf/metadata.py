"""What OPTIONS answers."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """OPTIONS answers name the view and its media types, without describing actions.

    DRF's default describes the fields of a view's `serializer_class`, which views that
    validate with explicit serializers do not set: OPTIONS then failed with a 500. The
    schema at /api/schema is the description of every operation.
    """

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        return {}
