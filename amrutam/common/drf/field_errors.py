"""DRF's nested validation detail, flattened to the envelope's `errors`."""

from __future__ import annotations

from typing import Any

# Keys DRF uses for errors of a whole object (a serializer's `validate()`, "expected a
# dictionary", "expected a list").
NON_FIELD_KEYS = frozenset({"non_field_errors", "nonFieldErrors"})


def field_errors(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into `{"field": ["message", ...]}`.

    One spelling whatever the serializer nesting: `items[0].field` for an item of a
    list (DRF keys them by index in dicts or by position in lists), the container's
    own name for errors of a whole nested object or list, and `nonFieldErrors` for
    errors of the whole body.
    """
    out: dict[str, list[str]] = {}
    _collect_errors(detail, "", out)
    return out


def _error_key(prefix: str, key: Any) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{prefix}[{key}]"
    if key in NON_FIELD_KEYS:
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def _collect_errors(detail: Any, prefix: str, out: dict[str, list[str]]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            _collect_errors(value, _error_key(prefix, key), out)
    elif isinstance(detail, list) and any(isinstance(v, (dict, list)) for v in detail):
        # Errors per item; valid items are empty and contribute nothing.
        for index, item in enumerate(detail):
            _collect_errors(item, f"{prefix}[{index}]", out)
    elif isinstance(detail, list):
        if detail:
            out.setdefault(prefix or "nonFieldErrors", []).extend(str(v) for v in detail)
    else:
        out.setdefault(prefix or "nonFieldErrors", []).append(str(detail))
