"""Object types in the trail: snake_case model names ("availability_slot", "user")."""

from __future__ import annotations

import re
from typing import Any

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    return _WORD_START.sub("_", name).lower()


def type_name(object_type: Any) -> str:
    """The object type of a model, an instance or a given name, as the trail spells it."""
    meta = getattr(object_type, "_meta", None)
    if meta is not None:
        return snake(meta.object_name)
    return str(object_type)
