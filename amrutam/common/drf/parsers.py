"""The JSON parser, refusing absurd nesting."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.parsers import JSONParser as DRFJSONParser

MAX_JSON_DEPTH = 32


class JSONParser(DRFJSONParser):
    """JSON parser that refuses absurdly deep nesting before any code walks it."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # The decoder recurses once per level: thousands of nested brackets exhaust
            # the stack before the depth check below could run.
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
            ) from exc
        if _depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return data


def _depth(value: Any, level: int = 0) -> int:
    stack = [(value, level)]
    deepest = level
    while stack:
        item, lvl = stack.pop()
        deepest = max(deepest, lvl)
        if lvl > MAX_JSON_DEPTH:
            return lvl
        if isinstance(item, dict):
            stack.extend((v, lvl + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, lvl + 1) for v in item)
    return deepest
