"""System check: the configured encryption keys read the stored data.

Tagged `database`, so it runs where Django runs the database checks (`migrate`,
`check --database default`); `manage.py check_encryption_keys` runs it on its own.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, Warning, register

from amrutam.common.keycheck import DatabaseUnavailable, encryption_keys_check


@register(Tags.database)
def encryption_keys_read_the_data(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Any]:
    if not databases:
        return []
    try:
        result = encryption_keys_check()
    except DatabaseUnavailable:
        # Nothing to judge the keys by; the database's own checks say why.
        return []
    if not result.ok:
        return [Error(result.describe(), id="amrutam.E001")]
    if result.partial:
        return [
            Warning(
                f"{result.describe()} Unreadable: {', '.join(result.failures)}.",
                hint="Configure the missing key in ENCRYPTION_KEYS_PREVIOUS and run "
                "rotate_encryption_key.",
                id="amrutam.W001",
            )
        ]
    return []
