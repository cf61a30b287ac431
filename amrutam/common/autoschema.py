"""drf-spectacular's AutoSchema with DRF's implicit input rules stated in the schema.

See amrutam/common/openapi_rules.py for why. Kept apart from the rules: this module
imports drf-spectacular's schema generator, which reads the REST framework settings,
which name classes of amrutam/common/drf.py.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from .openapi_rules import NO_NUL, NOT_BLANK


def _plain_string(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and not {
        "format",
        "enum",
        "pattern",
        "anyOf",
        "oneOf",
    } & set(schema)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with DRF's implicit input rules made explicit."""

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request":
            return schema
        # A field with a pattern of its own (RegexField) gets that pattern from
        # drf-spectacular's validator mapping, which must not be covered by the generic one.
        own_pattern = any(isinstance(v, RegexValidator) for v in field.validators)
        if isinstance(field, serializers.CharField) and _plain_string(schema) and not own_pattern:
            blank_refused = not field.allow_blank
            schema["pattern"] = NOT_BLANK if blank_refused else NO_NUL
            if blank_refused:
                schema["minLength"] = max(schema.get("minLength", 0), 1)
        elif isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = _decimal_pattern(field)
        elif isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            if not field.allow_empty:
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            # DRF's ListSerializer takes min_length / max_length (untyped in the stubs).
            min_length = getattr(field, "min_length", None)
            max_length = getattr(field, "max_length", None)
            if min_length is not None:
                schema["minItems"] = max(schema.get("minItems", 0), min_length)
            if max_length is not None:
                schema["maxItems"] = max_length
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema


def _decimal_pattern(field: serializers.DecimalField) -> str:
    whole = (field.max_digits or 30) - (field.decimal_places or 0)
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    fraction = rf"(?:\.[0-9]{{1,{field.decimal_places}}})?" if field.decimal_places else ""
    return rf"^{sign}[0-9]{{1,{whole}}}{fraction}$"
