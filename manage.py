#!/usr/bin/env python
"""Django's command-line utility; defaults to the local settings."""

import os
import sys

# The start of every refusal of amrutam/settings/production.py.
REFUSAL_PREFIX = "Refusing to start in production:"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amrutam.settings.local")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # Production settings refusing to start say why in one line; a traceback
        # would only bury it.
        if str(exc).startswith(REFUSAL_PREFIX):
            sys.exit(str(exc))
        raise


if __name__ == "__main__":
    main()
